package io.peregrine.client.ucx;

import io.peregrine.status.LoopLog;
import io.peregrine.transport.Endpoint;
import io.peregrine.transport.EndpointHandler;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.ucx.UcxTransportProvider;
import org.agrona.DirectBuffer;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The broker's side of a {@code ucx://} connection for the tests of this module: the real transport, polled on a
 * thread of its own as the event loop polls it, with a protocol-engine stand-in that records what it takes.
 */
final class BrokerSide
{
    static final int MB8 = 8 * 1024 * 1024;

    private BrokerSide()
    {
    }

    /** Takes input while told to, and gives the transport output to send; or refuses connections. */
    static final class Engine implements EndpointHandler
    {
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private volatile boolean readable = true;
        private volatile boolean closed;
        private volatile boolean refuse;
        private volatile int accepted;
        private volatile Endpoint endpoint;

        @Override
        public int onReceive(final DirectBuffer buffer, final int offset, final int length)
        {
            if (!readable)
            {
                return 0;
            }
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            synchronized (received)
            {
                received.write(bytes, 0, length);
            }
            return length;
        }

        @Override
        public boolean isReadable()
        {
            return readable;
        }

        @Override
        public void onClosed()
        {
            closed = true;
        }

        void readable(final boolean readable)
        {
            this.readable = readable;
        }

        void refuse(final boolean refuse)
        {
            this.refuse = refuse;
        }

        boolean isClosed()
        {
            return closed;
        }

        int accepted()
        {
            return accepted;
        }

        Endpoint endpoint()
        {
            return endpoint;
        }

        int receivedSize()
        {
            synchronized (received)
            {
                return received.size();
            }
        }

        byte[] received()
        {
            synchronized (received)
            {
                return received.toByteArray();
            }
        }
    }

    /** The broker's side on a thread of its own, as the event loop: polls, flushes, and runs what it is given. */
    static final class Loop implements AutoCloseable
    {
        private final Transport transport;
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private volatile boolean running = true;
        private final Thread thread;

        Loop(final Transport transport, final Engine engine)
        {
            this.transport = transport;
            this.thread = new Thread(() ->
            {
                while (running)
                {
                    transport.poll(System.nanoTime());
                    Runnable task;
                    while (null != (task = tasks.poll()))
                    {
                        task.run();
                    }
                    final Endpoint endpoint = engine.endpoint;
                    if (null != endpoint)
                    {
                        endpoint.flush();
                    }
                }
            }, "test-loop");
            thread.start();
        }

        <T> T call(final Callable<T> work) throws Exception
        {
            final CompletableFuture<T> result = new CompletableFuture<>();
            tasks.add(() ->
            {
                try
                {
                    result.complete(work.call());
                }
                catch (final Exception e)
                {
                    result.completeExceptionally(e);
                }
            });
            return result.get(10, TimeUnit.SECONDS);
        }

        @Override
        public void close()
        {
            running = false;
            try
            {
                thread.join(5000);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
            transport.close();
        }
    }

    /** The broker's transport on an ephemeral port, handing each connection to the engine (or refusing it). */
    static Transport listen(final Engine engine)
    {
        final TransportContext context = new TransportContext(endpoint ->
        {
            engine.accepted++;
            if (engine.refuse)
            {
                return null;
            }
            engine.endpoint = endpoint;
            return engine;
        }, 64 * 1024, 2 * MB8, Throwable::printStackTrace, new LoopLog(), Map.of());
        return new UcxTransportProvider().create(URI.create("ucx://127.0.0.1:0"), context);
    }

    static int port(final Transport transport)
    {
        final String address = transport.boundAddress();
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }
}
