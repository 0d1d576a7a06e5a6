package io.peregrine.transport.mem;

import io.peregrine.transport.BufferedEndpoint;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.ArrayListUtil;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A transport within one process, for tests and examples: {@code mem://NAME}. Clients on any thread call
 * {@link #connect(String)}; the event loop polls the transport like any other. It proves the transport SPI carries
 * a whole broker without a socket.
 */
public final class InMemoryTransport implements Transport
{
    private static final ConcurrentHashMap<String, InMemoryTransport> BOUND = new ConcurrentHashMap<>();
    private static final int PIPE_CAPACITY = 4 * 1024 * 1024;

    private final String name;
    private final TransportContext context;
    private final ManyToOneConcurrentArrayQueue<InMemoryClientConnection> pendingAccepts =
        new ManyToOneConcurrentArrayQueue<>(1024);
    private final ArrayList<ServerEndpoint> endpoints = new ArrayList<>();
    private boolean closed;

    InMemoryTransport(final String name, final TransportContext context)
    {
        this.name = name;
        this.context = context;
        if (null != BOUND.putIfAbsent(name, this))
        {
            throw new IllegalStateException("mem://" + name + " is already bound");
        }
    }

    /**
     * Connect to a bound in-memory transport, from any thread.
     *
     * @param name the name in {@code mem://NAME}.
     * @return the client's side of the connection; the broker accepts it on its next poll.
     * @throws IllegalStateException when nothing is bound under that name.
     */
    public static InMemoryClientConnection connect(final String name)
    {
        return connect(name, PIPE_CAPACITY);
    }

    /**
     * Connect with pipes of a given size (each direction); smaller pipes suit tests that open many connections.
     *
     * @param name          the name in {@code mem://NAME}.
     * @param pipeCapacity  bytes each direction can hold (at least 64 KiB is used).
     * @return the client's side of the connection.
     */
    public static InMemoryClientConnection connect(final String name, final int pipeCapacity)
    {
        final InMemoryTransport transport = BOUND.get(name);
        if (null == transport)
        {
            throw new IllegalStateException("nothing bound at mem://" + name);
        }
        final InMemoryClientConnection client = new InMemoryClientConnection(
            new InMemoryPipe(pipeCapacity), new InMemoryPipe(pipeCapacity));
        if (!transport.pendingAccepts.offer(client))
        {
            throw new IllegalStateException("mem://" + name + " accept queue is full");
        }
        return client;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int poll(final long nowNs)
    {
        int work = 0;
        InMemoryClientConnection client;
        while (null != (client = pendingAccepts.poll()))
        {
            final ServerEndpoint endpoint = new ServerEndpoint(client, context);
            endpoints.add(endpoint);
            final io.peregrine.transport.EndpointHandler handler = context.acceptor().onAccept(endpoint);
            if (null == handler)
            {
                endpoint.close();
            }
            else
            {
                endpoint.handler(handler);
            }
            work++;
        }
        final ArrayList<ServerEndpoint> endpoints = this.endpoints;
        for (int i = endpoints.size() - 1; i >= 0; i--)
        {
            final ServerEndpoint endpoint = endpoints.get(i);
            work += endpoint.poll();
            if (!endpoint.isOpen())
            {
                ArrayListUtil.fastUnorderedRemove(endpoints, i);
            }
        }
        return work;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String boundAddress()
    {
        return "mem://" + name;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            BOUND.remove(name, this);
            for (int i = endpoints.size() - 1; i >= 0; i--)
            {
                endpoints.get(i).close();
            }
            endpoints.clear();
        }
    }

    private static final class ServerEndpoint extends BufferedEndpoint implements ControlledMessageHandler
    {
        private final InMemoryClientConnection client;

        ServerEndpoint(final InMemoryClientConnection client, final TransportContext context)
        {
            super(context);
            this.client = client;
        }

        int poll()
        {
            if (!open)
            {
                return 0;
            }
            int work = 0;
            if (handler.isReadable())
            {
                final int chunks = client.toServer().read(this, 64);
                if (chunks > 0)
                {
                    work += chunks;
                }
                if (receiveBuffer.pendingBytes() > 0)
                {
                    receiveBuffer.deliver(handler);
                }
            }
            if (open && client.toServer().isClosed() && client.toServer().isEmpty())
            {
                close();
            }
            return work;
        }

        @Override
        public Action onMessage(
            final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            if (length > receiveBuffer.remaining())
            {
                receiveBuffer.deliver(handler);
                if (!receiveBuffer.tryGrow(length))
                {
                    return Action.ABORT;
                }
            }
            receiveBuffer.buffer().putBytes(receiveBuffer.limit(), buffer, index, length);
            receiveBuffer.received(length);
            return Action.CONTINUE;
        }

        @Override
        public int flush()
        {
            final int pending = sendBuffer.pendingBytes();
            if (pending == 0 || !open)
            {
                return 0;
            }
            final DirectBuffer buffer = sendBuffer.buffer();
            final int head = sendBuffer.head();
            if (client.toClient().write(buffer, head, pending))
            {
                sendBuffer.consumed(pending);
                return pending;
            }
            return 0;
        }

        @Override
        public void close()
        {
            if (open)
            {
                client.toClient().close();
                client.toServer().close();
                markClosed();
            }
        }

        @Override
        public boolean isLoopback()
        {
            return true;
        }

        @Override
        public String remoteAddress()
        {
            return "mem:" + client.id();
        }
    }
}
