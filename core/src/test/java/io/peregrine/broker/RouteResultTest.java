package io.peregrine.broker;

import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.message.MessagePool;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RouteResultTest
{
    @Test
    void shouldNotConfuseTwoResultsInOneVirtualHost()
    {
        final Dispatcher dispatcher = new Dispatcher();
        final MessagePool pool = new MessagePool(16, 1024);
        final VirtualHost host = new VirtualHost("/", pool, dispatcher);
        final Queue queue = host.declareQueue("q", false, false, false, false, Map.of(), this);
        final RouteResult first = new RouteResult();
        final RouteResult second = new RouteResult();
        first.reset(host.nextRouteEpoch());
        first.add(queue);
        first.add(queue);
        second.reset(host.nextRouteEpoch());
        second.add(queue);
        assertEquals(1, first.count(), "added once per result");
        assertEquals(1, second.count(), "another result still collects the queue");
    }
}
