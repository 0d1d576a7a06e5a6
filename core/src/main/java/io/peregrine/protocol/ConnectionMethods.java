package io.peregrine.protocol;

import io.peregrine.amqp.codec.AccessRequestDecoder;
import io.peregrine.amqp.codec.BasicAckDecoder;
import io.peregrine.amqp.codec.BasicCancelDecoder;
import io.peregrine.amqp.codec.BasicCancelOkDecoder;
import io.peregrine.amqp.codec.BasicConsumeDecoder;
import io.peregrine.amqp.codec.BasicGetDecoder;
import io.peregrine.amqp.codec.BasicNackDecoder;
import io.peregrine.amqp.codec.BasicPublishDecoder;
import io.peregrine.amqp.codec.BasicQosDecoder;
import io.peregrine.amqp.codec.BasicRecoverAsyncDecoder;
import io.peregrine.amqp.codec.BasicRecoverDecoder;
import io.peregrine.amqp.codec.BasicRejectDecoder;
import io.peregrine.amqp.codec.ChannelCloseDecoder;
import io.peregrine.amqp.codec.ChannelCloseOkDecoder;
import io.peregrine.amqp.codec.ChannelFlowDecoder;
import io.peregrine.amqp.codec.ChannelFlowOkDecoder;
import io.peregrine.amqp.codec.ChannelOpenDecoder;
import io.peregrine.amqp.codec.ConfirmSelectDecoder;
import io.peregrine.amqp.codec.ConnectionCloseDecoder;
import io.peregrine.amqp.codec.ConnectionCloseOkDecoder;
import io.peregrine.amqp.codec.ConnectionOpenDecoder;
import io.peregrine.amqp.codec.ConnectionSecureOkDecoder;
import io.peregrine.amqp.codec.ConnectionStartOkDecoder;
import io.peregrine.amqp.codec.ConnectionTuneOkDecoder;
import io.peregrine.amqp.codec.ConnectionUpdateSecretDecoder;
import io.peregrine.amqp.codec.ExchangeBindDecoder;
import io.peregrine.amqp.codec.ExchangeDeclareDecoder;
import io.peregrine.amqp.codec.ExchangeDeleteDecoder;
import io.peregrine.amqp.codec.ExchangeUnbindDecoder;
import io.peregrine.amqp.codec.QueueBindDecoder;
import io.peregrine.amqp.codec.QueueDeclareDecoder;
import io.peregrine.amqp.codec.QueueDeleteDecoder;
import io.peregrine.amqp.codec.QueuePurgeDecoder;
import io.peregrine.amqp.codec.QueueUnbindDecoder;
import io.peregrine.amqp.codec.ServerMethodHandler;
import io.peregrine.amqp.codec.TxCommitDecoder;
import io.peregrine.amqp.codec.TxRollbackDecoder;
import io.peregrine.amqp.codec.TxSelectDecoder;
import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.ReplyCode;

/**
 * Where each method a client sends goes, once the connection has checked that it may come now (its order in the
 * handshake, the channel's state): the connection class to the handshake and the connection, every other class to
 * its {@link AmqpChannel}. The generated dispatcher decodes a method into its flyweight and calls one of these;
 * nothing here is more than a hand-over. Loop thread only.
 */
final class ConnectionMethods implements ServerMethodHandler
{
    private final AmqpConnection connection;
    private final ConnectionHandshake handshake;
    private final Connections context;
    private final AmqpChannel[] channels;

    /**
     * The routing for one connection.
     *
     * @param connection the connection.
     * @param handshake  its handshake.
     * @param context    shared broker state.
     * @param channels   its channels, by number (the connection's own array).
     */
    ConnectionMethods(
        final AmqpConnection connection,
        final ConnectionHandshake handshake,
        final Connections context,
        final AmqpChannel[] channels)
    {
        this.connection = connection;
        this.handshake = handshake;
        this.context = context;
        this.channels = channels;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionStartOk(final int channel, final ConnectionStartOkDecoder decoder)
    {
        connection.state(handshake.onStartOk(decoder));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionSecureOk(final int channel, final ConnectionSecureOkDecoder decoder)
    {
        connection.state(handshake.authenticate(decoder.buffer(), decoder.responseOffset(), decoder.responseLength()));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionTuneOk(final int channel, final ConnectionTuneOkDecoder decoder)
    {
        connection.state(handshake.onTuneOk(decoder));
        connection.tuned();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionOpen(final int channel, final ConnectionOpenDecoder decoder)
    {
        connection.state(handshake.onOpen(decoder));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionClose(final int channel, final ConnectionCloseDecoder decoder)
    {
        connection.onCloseRequested();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionCloseOk(final int channel, final ConnectionCloseOkDecoder decoder)
    {
        if (!connection.isClosing())
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID, "connection.close-ok without connection.close");
        }
        connection.onCloseOk();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionUpdateSecret(final int channel, final ConnectionUpdateSecretDecoder decoder)
    {
        handshake.onUpdateSecret(decoder);
    }


    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelOpen(final int channel, final ChannelOpenDecoder decoder)
    {
        connection.onChannelOpening();
        final AmqpChannel ch = new AmqpChannel(connection, channel, context);
        channels[channel] = ch;
        ch.sendOpenOk();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelFlow(final int channel, final ChannelFlowDecoder decoder)
    {
        channels[channel].onFlow(decoder.active());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelFlowOk(final int channel, final ChannelFlowOkDecoder decoder)
    {
        // The broker never sends channel.flow, so an answer to it is ignored.
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelClose(final int channel, final ChannelCloseDecoder decoder)
    {
        final AmqpChannel ch = channels[channel];
        if (ch.isClosing())
        {
            // The client's close crossed ours: answer it, and keep the channel until our close is answered too.
            ch.sendCloseOk();
            return;
        }
        // As RabbitMQ: confirms already due go out before the close-ok; nothing goes out on the channel after it.
        ch.sendConfirms();
        ch.release();
        ch.sendCloseOk();
        channels[channel] = null;
        connection.onChannelGone();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelCloseOk(final int channel, final ChannelCloseOkDecoder decoder)
    {
        final AmqpChannel ch = channels[channel];
        if (!ch.isClosing())
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID, "channel.close-ok without channel.close");
        }
        channels[channel] = null;
        connection.onChannelGone();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onAccessRequest(final int channel, final AccessRequestDecoder decoder)
    {
        channels[channel].onAccessRequest();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeDeclare(final int channel, final ExchangeDeclareDecoder decoder)
    {
        channels[channel].declarations().onExchangeDeclare(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeDelete(final int channel, final ExchangeDeleteDecoder decoder)
    {
        channels[channel].declarations().onExchangeDelete(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeBind(final int channel, final ExchangeBindDecoder decoder)
    {
        channels[channel].declarations().onExchangeBind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeUnbind(final int channel, final ExchangeUnbindDecoder decoder)
    {
        channels[channel].declarations().onExchangeUnbind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueDeclare(final int channel, final QueueDeclareDecoder decoder)
    {
        channels[channel].declarations().onQueueDeclare(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueBind(final int channel, final QueueBindDecoder decoder)
    {
        channels[channel].declarations().onQueueBind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueuePurge(final int channel, final QueuePurgeDecoder decoder)
    {
        channels[channel].declarations().onQueuePurge(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueDelete(final int channel, final QueueDeleteDecoder decoder)
    {
        channels[channel].declarations().onQueueDelete(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueUnbind(final int channel, final QueueUnbindDecoder decoder)
    {
        channels[channel].declarations().onQueueUnbind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicQos(final int channel, final BasicQosDecoder decoder)
    {
        channels[channel].onQos(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicConsume(final int channel, final BasicConsumeDecoder decoder)
    {
        channels[channel].onConsume(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicCancel(final int channel, final BasicCancelDecoder decoder)
    {
        channels[channel].onCancel(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicCancelOk(final int channel, final BasicCancelOkDecoder decoder)
    {
        // A client acknowledging a broker-sent basic.cancel: nothing to do.
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicPublish(final int channel, final BasicPublishDecoder decoder)
    {
        connection.onPublisher();
        channels[channel].onPublish(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicGet(final int channel, final BasicGetDecoder decoder)
    {
        channels[channel].onGet(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicAck(final int channel, final BasicAckDecoder decoder)
    {
        channels[channel].settle(decoder.deliveryTag(), decoder.multiple(), AmqpChannel.Settle.ACK);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicReject(final int channel, final BasicRejectDecoder decoder)
    {
        channels[channel].settle(decoder.deliveryTag(), false,
            decoder.requeue() ? AmqpChannel.Settle.REQUEUE : AmqpChannel.Settle.DISCARD);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicNack(final int channel, final BasicNackDecoder decoder)
    {
        channels[channel].settle(decoder.deliveryTag(), decoder.multiple(),
            decoder.requeue() ? AmqpChannel.Settle.REQUEUE : AmqpChannel.Settle.DISCARD);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicRecoverAsync(final int channel, final BasicRecoverAsyncDecoder decoder)
    {
        channels[channel].onRecover(decoder.requeue(), false);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicRecover(final int channel, final BasicRecoverDecoder decoder)
    {
        channels[channel].onRecover(decoder.requeue(), true);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConfirmSelect(final int channel, final ConfirmSelectDecoder decoder)
    {
        channels[channel].onConfirmSelect(decoder.nowait());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onTxSelect(final int channel, final TxSelectDecoder decoder)
    {
        channels[channel].onTxSelect();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onTxCommit(final int channel, final TxCommitDecoder decoder)
    {
        channels[channel].onTxCommit();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onTxRollback(final int channel, final TxRollbackDecoder decoder)
    {
        channels[channel].onTxRollback();
    }
}
