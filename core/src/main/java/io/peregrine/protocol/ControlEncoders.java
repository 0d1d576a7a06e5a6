package io.peregrine.protocol;

import io.peregrine.amqp.codec.AccessRequestOkEncoder;
import io.peregrine.amqp.codec.BasicCancelEncoder;
import io.peregrine.amqp.codec.BasicCancelOkEncoder;
import io.peregrine.amqp.codec.BasicConsumeOkEncoder;
import io.peregrine.amqp.codec.BasicGetEmptyEncoder;
import io.peregrine.amqp.codec.BasicQosOkEncoder;
import io.peregrine.amqp.codec.BasicRecoverOkEncoder;
import io.peregrine.amqp.codec.ChannelCloseOkEncoder;
import io.peregrine.amqp.codec.ChannelFlowOkEncoder;
import io.peregrine.amqp.codec.ChannelOpenOkEncoder;
import io.peregrine.amqp.codec.ConfirmSelectOkEncoder;
import io.peregrine.amqp.codec.ExchangeBindOkEncoder;
import io.peregrine.amqp.codec.ExchangeDeclareOkEncoder;
import io.peregrine.amqp.codec.ExchangeDeleteOkEncoder;
import io.peregrine.amqp.codec.ExchangeUnbindOkEncoder;
import io.peregrine.amqp.codec.QueueBindOkEncoder;
import io.peregrine.amqp.codec.QueueDeclareOkEncoder;
import io.peregrine.amqp.codec.QueueDeleteOkEncoder;
import io.peregrine.amqp.codec.QueuePurgeOkEncoder;
import io.peregrine.amqp.codec.QueueUnbindOkEncoder;
import io.peregrine.amqp.codec.TxCommitOkEncoder;
import io.peregrine.amqp.codec.TxRollbackOkEncoder;
import io.peregrine.amqp.codec.TxSelectOkEncoder;

/**
 * One encoder per control reply, held once for the whole loop (it is single-threaded, and a reply is encoded
 * completely before the next), so answering a declare, a bind or a qos allocates nothing.
 */
final class ControlEncoders
{
    final AccessRequestOkEncoder accessRequestOkEncoder = new AccessRequestOkEncoder();
    final BasicCancelEncoder basicCancelEncoder = new BasicCancelEncoder();
    final BasicCancelOkEncoder basicCancelOkEncoder = new BasicCancelOkEncoder();
    final BasicConsumeOkEncoder basicConsumeOkEncoder = new BasicConsumeOkEncoder();
    final BasicGetEmptyEncoder basicGetEmptyEncoder = new BasicGetEmptyEncoder();
    final BasicQosOkEncoder basicQosOkEncoder = new BasicQosOkEncoder();
    final BasicRecoverOkEncoder basicRecoverOkEncoder = new BasicRecoverOkEncoder();
    final ChannelCloseOkEncoder channelCloseOkEncoder = new ChannelCloseOkEncoder();
    final ChannelFlowOkEncoder channelFlowOkEncoder = new ChannelFlowOkEncoder();
    final ChannelOpenOkEncoder channelOpenOkEncoder = new ChannelOpenOkEncoder();
    final ConfirmSelectOkEncoder confirmSelectOkEncoder = new ConfirmSelectOkEncoder();
    final ExchangeBindOkEncoder exchangeBindOkEncoder = new ExchangeBindOkEncoder();
    final ExchangeDeclareOkEncoder exchangeDeclareOkEncoder = new ExchangeDeclareOkEncoder();
    final ExchangeDeleteOkEncoder exchangeDeleteOkEncoder = new ExchangeDeleteOkEncoder();
    final ExchangeUnbindOkEncoder exchangeUnbindOkEncoder = new ExchangeUnbindOkEncoder();
    final QueueBindOkEncoder queueBindOkEncoder = new QueueBindOkEncoder();
    final QueueDeclareOkEncoder queueDeclareOkEncoder = new QueueDeclareOkEncoder();
    final QueueDeleteOkEncoder queueDeleteOkEncoder = new QueueDeleteOkEncoder();
    final QueuePurgeOkEncoder queuePurgeOkEncoder = new QueuePurgeOkEncoder();
    final QueueUnbindOkEncoder queueUnbindOkEncoder = new QueueUnbindOkEncoder();
    final TxCommitOkEncoder txCommitOkEncoder = new TxCommitOkEncoder();
    final TxRollbackOkEncoder txRollbackOkEncoder = new TxRollbackOkEncoder();
    final TxSelectOkEncoder txSelectOkEncoder = new TxSelectOkEncoder();
}
