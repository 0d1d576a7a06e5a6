package io.peregrine.bench.jmh;

import io.peregrine.amqp.codec.BasicDeliverEncoder;
import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.amqp.codec.BasicPropertiesEncoder;
import io.peregrine.amqp.codec.BasicPublishDecoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.QueueDeclareDecoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Decoding and encoding the methods on the message path with the generated flyweights: basic.publish decode,
 * basic.deliver encode, content properties decode, and a control method (queue.declare) for contrast.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = "-Dagrona.disable.bounds.checks=true")
public class CodecBenchmark
{
    private final UnsafeBuffer publish = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
    private final UnsafeBuffer properties = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
    private final UnsafeBuffer declare = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
    private final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
    private final UnsafeBuffer names = new UnsafeBuffer("amq.ctag-benchmarkconsumer0000amq.directprices.equity.ibm"
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    private final BasicPublishDecoder publishDecoder = new BasicPublishDecoder();
    private final BasicPropertiesDecoder propertiesDecoder = new BasicPropertiesDecoder();
    private final QueueDeclareDecoder declareDecoder = new QueueDeclareDecoder();
    private final BasicDeliverEncoder deliverEncoder = new BasicDeliverEncoder();
    private int publishLength;
    private int propertiesLength;
    private int declareLength;
    private long tag;

    /**
     * Encode the inputs once.
     */
    @Setup
    public void setUp()
    {
        publishLength = new BasicPublishEncoder().wrap(publish, 0).ticket(0).exchange("amq.direct")
            .routingKey("prices.equity.ibm").mandatory(false).immediate(false).encodedLength();
        propertiesLength = new BasicPropertiesEncoder().wrap(properties, 0).contentType("application/octet-stream")
            .deliveryMode(2).correlationId("c-0001").replyTo("amq.gen-reply").timestamp(1_700_000_000L)
            .encodedLength();
        declareLength = new QueueDeclareEncoder().wrap(declare, 0).ticket(0).queue("orders").passive(false)
            .durable(true).exclusive(false).autoDelete(false).nowait(false).arguments(new byte[0]).encodedLength();
    }

    /**
     * Decode basic.publish.
     *
     * @return a field, so the work is not eliminated.
     */
    @Benchmark
    public int decodeBasicPublish()
    {
        return publishDecoder.wrap(publish, 4, publishLength - 4).routingKeyLength();
    }

    /**
     * Decode content properties.
     *
     * @return a field.
     */
    @Benchmark
    public int decodeBasicProperties()
    {
        return propertiesDecoder.wrap(properties, 0, propertiesLength).deliveryMode();
    }

    /**
     * Decode queue.declare.
     *
     * @return a field.
     */
    @Benchmark
    public boolean decodeQueueDeclare()
    {
        return declareDecoder.wrap(declare, 4, declareLength - 4).durable();
    }

    /**
     * Encode basic.deliver from bytes held by the broker.
     *
     * @return the length.
     */
    @Benchmark
    public int encodeBasicDeliver()
    {
        return deliverEncoder.wrap(out, 0).consumerTag(names, 0, 30).deliveryTag(++tag).redelivered(false)
            .exchange(names, 30, 10).routingKey(names, 40, 17).encodedLength();
    }
}
