package io.peregrine.bench.client;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The generator's byte stream to the broker: plain TCP, or TLS over it ({@link TlsWire}). Reads and writes like a
 * non-blocking {@link SocketChannel} once set up.
 */
interface Wire extends Closeable
{
    /**
     * Read what is available.
     *
     * @param destination where to put it.
     * @return bytes read, 0 when none now, -1 at the end of the stream.
     * @throws IOException when the connection failed.
     */
    int read(ByteBuffer destination) throws IOException;

    /**
     * Write what the socket takes now.
     *
     * @param source what to write.
     * @return bytes taken from it.
     * @throws IOException when the connection failed.
     */
    int write(ByteBuffer source) throws IOException;

    /**
     * Bytes taken by {@link #write} and not yet on the socket (TLS records waiting for room).
     *
     * @return the count.
     */
    int pendingBytes();

    /**
     * Push what is pending to the socket without blocking.
     *
     * @throws IOException when the connection failed.
     */
    void flushPending() throws IOException;

    /**
     * Blocking (set-up) or non-blocking (the measured run).
     *
     * @param blocking which.
     * @throws IOException when the socket refuses.
     */
    void configureBlocking(boolean blocking) throws IOException;

    /** Plain TCP. */
    record Plain(SocketChannel socket) implements Wire
    {
        @Override
        public int read(final ByteBuffer destination) throws IOException
        {
            return socket.read(destination);
        }

        @Override
        public int write(final ByteBuffer source) throws IOException
        {
            return socket.write(source);
        }

        @Override
        public int pendingBytes()
        {
            return 0;
        }

        @Override
        public void flushPending()
        {
        }

        @Override
        public void configureBlocking(final boolean blocking) throws IOException
        {
            socket.configureBlocking(blocking);
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }
}
