package io.peregrine.cluster;

/**
 * The layout of the leader's ingress messages, which the log carries to every node's journal (little-endian, as
 * Agrona writes):
 * <pre>
 *   version           int   {@link #VERSION}
 *   leadership term   long  the term of the store that sent it: the log refuses any other term's
 *   member id         int   the leader that sent it
 *   sequence before   long  the sender's entries completed before this message (a gap means lost ingress)
 *   records           each: type int (whole entry, or first/middle/last part), length int, the entry's bytes
 * </pre>
 */
final class IngressFormat
{
    static final int VERSION = 1;
    static final int VERSION_OFFSET = 0;
    static final int TERM_OFFSET = VERSION_OFFSET + Integer.BYTES;
    static final int MEMBER_OFFSET = TERM_OFFSET + Long.BYTES;
    static final int SEQUENCE_OFFSET = MEMBER_OFFSET + Integer.BYTES;
    static final int HEADER_LENGTH = SEQUENCE_OFFSET + Long.BYTES;
    static final int RECORD_HEADER_LENGTH = 2 * Integer.BYTES;

    private IngressFormat()
    {
    }
}
