package io.peregrine.protocol;

import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Where a channel's mechanisms encode the methods they send: a connection's send buffer, one frame at a time. Never
 * blocks: a full buffer is back-pressure ({@link #beginMethod} returns -1, and the connection deals with it).
 */
interface MethodOutput
{
    /**
     * Begin a method frame on a channel.
     *
     * @param channel    the channel number.
     * @param maxPayload the most bytes the method's payload may take.
     * @return the offset in {@link #sendBuffer()} to encode the payload at, or -1 when there is no room.
     */
    int beginMethod(int channel, int maxPayload);

    /**
     * The buffer frames are encoded into.
     *
     * @return the buffer.
     */
    MutableDirectBuffer sendBuffer();

    /**
     * Finish the frame begun by {@link #beginMethod}.
     *
     * @param payloadLimit the offset just past the payload.
     */
    void endFrame(int payloadLimit);

    /**
     * Send a method without arguments (the {@code -ok} replies of declare, bind, tx and the like): its class and
     * method ids are all there is to encode.
     *
     * @param channel  the channel number.
     * @param classId  the method's class id.
     * @param methodId the method's id.
     */
    default void emptyMethod(final int channel, final int classId, final int methodId)
    {
        final int p = beginMethod(channel, 4);
        if (p >= 0)
        {
            final MutableDirectBuffer buffer = sendBuffer();
            buffer.putShort(p, (short)classId, BIG_ENDIAN);
            buffer.putShort(p + 2, (short)methodId, BIG_ENDIAN);
            endFrame(p + 4);
        }
    }
}
