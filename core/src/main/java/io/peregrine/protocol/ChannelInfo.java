package io.peregrine.protocol;

/**
 * One channel as control commands show it.
 *
 * @param number    its number on the connection.
 * @param consumers consumers on it.
 * @param prefetch  the per-consumer prefetch count (0: none).
 * @param unacked   deliveries not yet acknowledged.
 * @param mode      {@code confirm}, {@code tx} or empty.
 */
public record ChannelInfo(int number, int consumers, int prefetch, int unacked, String mode)
{
}
