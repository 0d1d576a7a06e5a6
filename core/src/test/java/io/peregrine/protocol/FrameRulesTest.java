package io.peregrine.protocol;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.protocol.AmqpConnection.State;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameRulesTest
{
    private static final int CONNECTION = MethodIds.CLASS_CONNECTION;
    private static final int BASIC = MethodIds.CLASS_BASIC;

    private static AmqpException refused(final State state, final int channel, final int classId, final int method)
    {
        return assertThrows(AmqpException.class, () -> FrameRules.method(state, channel, 10, classId, method, null));
    }

    @Test
    void shouldTakeTheHandshakeInOrderAndCloseAtAnyStep()
    {
        assertEquals(FrameRules.HANDLE, FrameRules.method(State.AWAITING_START_OK, 0, 10, CONNECTION,
            MethodIds.CONNECTION_START_OK, null));
        final AmqpException early = refused(State.AWAITING_START_OK, 0, CONNECTION, MethodIds.CONNECTION_OPEN);
        assertEquals(ReplyCode.COMMAND_INVALID, early.replyCode());
        assertTrue(early.getMessage().contains("expected connection.start-ok, got connection.open"),
            early.getMessage());
        assertEquals(FrameRules.HANDLE, FrameRules.method(State.AWAITING_TUNE_OK, 0, 10, CONNECTION,
            MethodIds.CONNECTION_CLOSE, null));
        assertTrue(refused(State.OPEN, 0, CONNECTION, MethodIds.CONNECTION_START_OK).getMessage()
            .contains("after connection.open"), "never a second login");
    }

    @Test
    void shouldKeepClassesOnTheirChannels()
    {
        assertEquals(ReplyCode.COMMAND_INVALID, refused(State.OPEN, 0, BASIC, MethodIds.BASIC_PUBLISH).replyCode());
        assertEquals(ReplyCode.COMMAND_INVALID,
            refused(State.OPEN, 1, CONNECTION, MethodIds.CONNECTION_CLOSE).replyCode());
        assertEquals(ReplyCode.CHANNEL_ERROR, refused(State.AWAITING_OPEN, 1, BASIC, MethodIds.BASIC_PUBLISH)
            .replyCode(), "no channel before connection.open");
        assertEquals(ReplyCode.CHANNEL_ERROR, refused(State.OPEN, 11, BASIC, MethodIds.BASIC_PUBLISH).replyCode(),
            "past channel_max");
        assertTrue(refused(State.OPEN, 1, BASIC, MethodIds.BASIC_PUBLISH).getMessage()
            .contains("expected 'channel.open' on channel 1"));
        assertEquals(FrameRules.HANDLE, FrameRules.method(State.OPEN, 1, 10, MethodIds.CLASS_CHANNEL,
            MethodIds.CHANNEL_OPEN, null));
    }

    @Test
    void shouldDiscardAllButCloseWhileClosing()
    {
        assertEquals(FrameRules.DISCARD, FrameRules.method(State.CLOSING, 1, 10, BASIC, MethodIds.BASIC_PUBLISH,
            null));
        assertEquals(FrameRules.HANDLE, FrameRules.method(State.CLOSING, 0, 10, CONNECTION,
            MethodIds.CONNECTION_CLOSE_OK, null));
        assertEquals(FrameRules.DISCARD, FrameRules.content(State.CLOSING, 1, 10, true, null));
    }

    @Test
    void shouldRefuseContentOutsideAnOpenChannel()
    {
        assertEquals(ReplyCode.UNEXPECTED_FRAME, assertThrows(AmqpException.class,
            () -> FrameRules.content(State.OPEN, 0, 10, false, null)).replyCode());
        assertTrue(assertThrows(AmqpException.class, () -> FrameRules.content(State.AWAITING_OPEN, 1, 10, true, null))
            .getMessage().contains("before connection.open"));
        assertEquals(ReplyCode.CHANNEL_ERROR, assertThrows(AmqpException.class,
            () -> FrameRules.content(State.OPEN, 1, 10, true, null)).replyCode());
    }
}
