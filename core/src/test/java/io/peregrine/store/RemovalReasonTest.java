package io.peregrine.store;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The removal reasons' codes are what journals on disk hold: they never change, and unknown ones still print. */
class RemovalReasonTest
{
    @Test
    void shouldKeepTheCodesJournalsOnDiskHold()
    {
        assertEquals(1, RemovalReason.ACKNOWLEDGED.code());
        assertEquals(2, RemovalReason.DELIVERED_NO_ACK.code());
        assertEquals(3, RemovalReason.REJECTED.code());
        assertEquals(4, RemovalReason.EXPIRED.code());
        assertEquals(5, RemovalReason.MAX_LENGTH.code());
        assertEquals(6, RemovalReason.PURGED.code());
        assertEquals(7, RemovalReason.DELIVERY_LIMIT.code());
    }

    @Test
    void shouldPrintEveryCodeIncludingOnesItDoesNotKnow()
    {
        assertEquals("max-length", RemovalReason.label((byte)5));
        assertEquals("reason-9", RemovalReason.label((byte)9));
        assertEquals("reason-0", RemovalReason.label((byte)0));
        assertEquals("reason--1", RemovalReason.label((byte)-1));
    }
}
