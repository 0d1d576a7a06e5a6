package io.peregrine.protocol;

import io.peregrine.amqp.codec.AccessRequestOkEncoder;
import io.peregrine.amqp.codec.BasicCancelEncoder;
import io.peregrine.amqp.codec.BasicCancelOkEncoder;
import io.peregrine.amqp.codec.BasicConsumeOkEncoder;
import io.peregrine.amqp.codec.BasicGetEmptyEncoder;
import io.peregrine.amqp.codec.ChannelFlowOkEncoder;
import io.peregrine.amqp.codec.ChannelOpenOkEncoder;
import io.peregrine.amqp.codec.QueueDeclareOkEncoder;
import io.peregrine.amqp.codec.QueueDeleteOkEncoder;
import io.peregrine.amqp.codec.QueuePurgeOkEncoder;

/**
 * One encoder per control reply that carries arguments (replies without any go through
 * {@link MethodOutput#emptyMethod}), held once for the whole loop (it is single-threaded, and a reply is encoded
 * completely before the next), so answering a declare, a bind or a qos allocates nothing.
 */
final class ControlEncoders
{
    final AccessRequestOkEncoder accessRequestOkEncoder = new AccessRequestOkEncoder();
    final BasicCancelEncoder basicCancelEncoder = new BasicCancelEncoder();
    final BasicCancelOkEncoder basicCancelOkEncoder = new BasicCancelOkEncoder();
    final BasicConsumeOkEncoder basicConsumeOkEncoder = new BasicConsumeOkEncoder();
    final BasicGetEmptyEncoder basicGetEmptyEncoder = new BasicGetEmptyEncoder();
    final ChannelFlowOkEncoder channelFlowOkEncoder = new ChannelFlowOkEncoder();
    final ChannelOpenOkEncoder channelOpenOkEncoder = new ChannelOpenOkEncoder();
    final QueueDeclareOkEncoder queueDeclareOkEncoder = new QueueDeclareOkEncoder();
    final QueueDeleteOkEncoder queueDeleteOkEncoder = new QueueDeleteOkEncoder();
    final QueuePurgeOkEncoder queuePurgeOkEncoder = new QueuePurgeOkEncoder();
}
