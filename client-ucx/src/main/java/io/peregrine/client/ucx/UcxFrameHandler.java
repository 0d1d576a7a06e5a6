package io.peregrine.client.ucx;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.WriteListener;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * The RabbitMQ Java client's frame handler over a {@link UcxStream}: frames are read and written exactly as its
 * socket frame handler does (the client's own {@link Frame} codec), only the bytes travel over UCX.
 */
final class UcxFrameHandler implements FrameHandler
{
    private final UcxStream stream;
    private final InetSocketAddress broker;
    private final DataInputStream input;
    private final DataOutputStream output;
    private volatile int timeoutMs;
    private volatile int payloadLimit = Integer.MAX_VALUE;
    private AMQConnection connection;

    UcxFrameHandler(final UcxStream stream, final InetSocketAddress broker)
    {
        this.stream = stream;
        this.broker = broker;
        this.input = new DataInputStream(new InputStream()
        {
            @Override
            public int read() throws IOException
            {
                final byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(final byte[] bytes, final int offset, final int length) throws IOException
            {
                // Within a frame, no timeout: a timeout there would lose the frame's first bytes.
                return stream.read(bytes, offset, length, 0);
            }
        });
        this.output = new DataOutputStream(new BufferedOutputStream(new OutputStream()
        {
            @Override
            public void write(final int b) throws IOException
            {
                write(new byte[] {(byte)b}, 0, 1);
            }

            @Override
            public void write(final byte[] bytes, final int offset, final int length) throws IOException
            {
                stream.write(bytes, offset, length);
            }
        }, 64 * 1024));
    }

    @Override
    public void setTimeout(final int timeoutMs) throws SocketException
    {
        this.timeoutMs = timeoutMs;
    }

    @Override
    public int getTimeout() throws SocketException
    {
        return timeoutMs;
    }

    @Override
    public void sendHeader() throws IOException
    {
        synchronized (output)
        {
            output.write("AMQP".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            output.write(0);
            output.write(AMQP.PROTOCOL.MAJOR);
            output.write(AMQP.PROTOCOL.MINOR);
            output.write(AMQP.PROTOCOL.REVISION);
            output.flush();
        }
    }

    @Override
    public void initialize(final AMQConnection connection)
    {
        this.connection = connection;
    }

    @Override
    public void startProcessing()
    {
        connection.startMainLoop();
    }

    @Override
    public void finishConnectionNegotiation()
    {
    }

    @Override
    public void setFrameMax(final int frameMax)
    {
        // As the socket frame handler: a frame's payload may be up to frame_max less the frame's own 8 bytes.
        this.payloadLimit = frameMax == 0 ? Integer.MAX_VALUE : frameMax - 8;
    }

    @Override
    public Frame readFrame() throws IOException
    {
        synchronized (input)
        {
            // The client's timeout (its heartbeat check) applies while waiting for a frame to begin, where the
            // socket frame handler's Frame.readFrom answers null; once bytes are there, the frame is read whole (a
            // timeout inside it would lose its first bytes).
            try
            {
                stream.awaitInput(timeoutMs);
            }
            catch (final SocketTimeoutException e)
            {
                return null;
            }
            return Frame.readFrom(input, () -> payloadLimit);
        }
    }

    @Override
    public void writeFrame(final Frame frame) throws IOException
    {
        synchronized (output)
        {
            frame.writeTo(output);
        }
    }

    @Override
    public void flush(final WriteListener listener) throws IOException
    {
        try
        {
            synchronized (output)
            {
                output.flush();
            }
            if (null != listener)
            {
                listener.done(true, null);
            }
        }
        catch (final IOException e)
        {
            if (null != listener)
            {
                listener.done(false, e);
            }
            throw e;
        }
    }

    @Override
    public void close()
    {
        stream.close();
    }

    @Override
    public InetAddress getLocalAddress()
    {
        return InetAddress.getLoopbackAddress();
    }

    @Override
    public int getLocalPort()
    {
        return -1;
    }

    @Override
    public InetAddress getAddress()
    {
        return broker.getAddress();
    }

    @Override
    public int getPort()
    {
        return broker.getPort();
    }
}
