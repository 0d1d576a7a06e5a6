#!/usr/bin/env python3
"""Peregrine against pika (a second client family): the article's two scenarios and publisher confirms.

Usage: test_pika.py HOST PORT [CA_FILE [CERT_FILE KEY_FILE]]. With CA_FILE it connects over TLS (amqps), checking
the broker's certificate against that CA for the name localhost; with a client certificate too it logs in with SASL
EXTERNAL as the certificate's user. Exits 0 when every check passes; prints what it checked.
"""
import ssl
import sys
import uuid

import pika
from pika.credentials import ExternalCredentials

HOST, PORT = sys.argv[1], int(sys.argv[2])
CA_FILE = sys.argv[3] if len(sys.argv) > 3 else None
CLIENT_CERT = sys.argv[4:6] if len(sys.argv) > 5 else None


def connect():
    if CA_FILE is None:
        return pika.BlockingConnection(pika.ConnectionParameters(host=HOST, port=PORT, heartbeat=0))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(CA_FILE)
    extra = {}
    if CLIENT_CERT:
        context.load_cert_chain(CLIENT_CERT[0], CLIENT_CERT[1])
        extra["credentials"] = ExternalCredentials()
    return pika.BlockingConnection(pika.ConnectionParameters(
        host=HOST, port=PORT, heartbeat=0, ssl_options=pika.SSLOptions(context, "localhost"), **extra))


def check(condition, what):
    if not condition:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def server_status_rpc():
    """Three servers subscribe their own queues to amq.topic with SERVER_STATUS; one request, three replies."""
    servers = connect()
    queues = []
    for name in ("alpha", "beta", "gamma"):
        ch = servers.channel()
        q = ch.queue_declare("pika-status-" + name, exclusive=True, auto_delete=True).method.queue
        ch.queue_bind(q, "amq.topic", "SERVER_STATUS")
        queues.append((name, ch, q))

    client = connect()
    cc = client.channel()
    reply = cc.queue_declare("", exclusive=True).method.queue
    cc.queue_bind(reply, "amq.direct", reply)
    correlation = str(uuid.uuid4())
    cc.basic_publish("amq.topic", "SERVER_STATUS", b"status?",
                     pika.BasicProperties(reply_to=reply, correlation_id=correlation))

    for name, ch, q in queues:
        method, props, body = None, None, None
        for _ in range(200):
            method, props, body = ch.basic_get(q, auto_ack=True)
            if method:
                break
            servers.sleep(0.01)
        check(method is not None and body == b"status?", name + " received the request")
        ch.basic_publish("amq.direct", props.reply_to, (name + " is up").encode(),
                         pika.BasicProperties(correlation_id=props.correlation_id))

    replies = []
    for _ in range(300):
        method, props, body = cc.basic_get(reply, auto_ack=True)
        if method:
            check(props.correlation_id == correlation, "reply carries the correlation id")
            replies.append(body.decode())
        elif len(replies) == 3:
            break
        else:
            client.sleep(0.01)
    check(sorted(replies) == ["alpha is up", "beta is up", "gamma is up"],
          "exactly one reply from each server: %s" % sorted(replies))
    client.close()
    servers.close()


def weather():
    """Two Ohio and two Virginia servers share their state's queue; requests arrive round-robin."""
    conn = connect()
    admin = conn.channel()
    admin.exchange_declare("pika-weather", exchange_type="topic")
    for q, key in (("pika-ohio", "#.ohio"), ("pika-virginia", "#.virginia"), ("pika-sports", "sports.#")):
        admin.queue_declare(q, auto_delete=True)
        admin.queue_bind(q, "pika-weather", key)

    counts = {}
    seen = {}

    def server(name, queue):
        ch = conn.channel()
        ch.basic_qos(prefetch_count=100)

        def on_message(channel, method, properties, body):
            counts[name] = counts.get(name, 0) + 1
            seen.setdefault(queue, []).append(method.routing_key)
            channel.basic_ack(method.delivery_tag)

        ch.basic_consume(queue, on_message)

    for name, queue in (("ohio-1", "pika-ohio"), ("ohio-2", "pika-ohio"),
                        ("virginia-1", "pika-virginia"), ("virginia-2", "pika-virginia"),
                        ("sports-1", "pika-sports")):
        server(name, queue)

    publisher = connect()
    pc = publisher.channel()
    pc.confirm_delivery()
    for i in range(10):
        pc.basic_publish("pika-weather", "news.ohio", b"ohio %d" % i)
        pc.basic_publish("pika-weather", "news.virginia", b"virginia %d" % i)
    pc.basic_publish("pika-weather", "sports.ohio", b"game")

    for _ in range(200):
        conn.process_data_events(time_limit=0.02)
        if sum(counts.values()) >= 22:
            break
    conn.process_data_events(time_limit=0.1)
    check(counts.get("virginia-1") == 5 and counts.get("virginia-2") == 5,
          "virginia requests round-robin 5/5: %s" % counts)
    check(counts.get("ohio-1", 0) + counts.get("ohio-2", 0) == 11 and
          abs(counts.get("ohio-1", 0) - counts.get("ohio-2", 0)) == 1,
          "ohio requests and sports.ohio round-robin 6/5: %s" % counts)
    check(seen.get("pika-sports") == ["sports.ohio"], "sports.ohio reached the sports queue")
    publisher.close()
    conn.close()


def confirms():
    """confirm_delivery: routed messages are acked, unroutable mandatory ones returned, refused ones nacked."""
    conn = connect()
    ch = conn.channel()
    ch.confirm_delivery()
    ch.queue_declare("pika-confirms", auto_delete=True, arguments={"x-max-length": 1,
                                                                  "x-overflow": "reject-publish"})
    ch.queue_purge("pika-confirms")  # a broker this script ran against before still has the queue
    ch.basic_publish("", "pika-confirms", b"first")
    check(True, "a routed publish was confirmed")
    try:
        ch.basic_publish("amq.direct", "nowhere", b"x", mandatory=True)
        check(False, "an unroutable mandatory publish raises")
    except pika.exceptions.UnroutableError:
        check(True, "an unroutable mandatory publish was returned")
    try:
        ch.basic_publish("", "pika-confirms", b"second")
        check(False, "a refused publish raises")
    except pika.exceptions.NackError:
        check(True, "a publish the queue refused (reject-publish) was nacked")
    try:
        ch.queue_declare("pika-missing", passive=True)
        check(False, "a passive declare of a missing queue raises")
    except pika.exceptions.ChannelClosedByBroker as e:
        check(e.reply_code == 404, "a missing queue closes the channel with 404")
    conn.close()


def rabbitmq_parity():
    """RabbitMQ 4.x edge semantics as pika sees them (issue 13): a refused login, quorum queues and delivery
    counts, idempotent unbind, CC keys through an exchange graph, a non-array CC, name line breaks."""
    try:
        pika.BlockingConnection(pika.ConnectionParameters(
            host=HOST, port=PORT, heartbeat=0, credentials=pika.PlainCredentials("guest", "wrong")))
        check(False, "a wrong password is refused")
    except pika.exceptions.ProbableAuthenticationError as e:
        check("ACCESS_REFUSED" in str(e), "pika advertises authentication_failure_close and is told 403")
    conn = connect()
    ch = conn.channel()
    ch.queue_declare("pika-quorum", durable=True, arguments={"x-queue-type": "quorum", "x-delivery-limit": 1})
    ch.basic_publish("", "pika-quorum", b"job")
    method, props, body = ch.basic_get("pika-quorum")
    ch.basic_nack(method.delivery_tag, requeue=True)
    method, props, body = ch.basic_get("pika-quorum")
    check(method.redelivered and props.headers.get("x-delivery-count") == 1, "quorum redelivery with x-delivery-count 1")
    ch.basic_nack(method.delivery_tag, requeue=True)
    method, props, body = ch.basic_get("pika-quorum")
    check(method is None, "past x-delivery-limit the message is gone")
    ch.queue_delete("pika-quorum")
    try:
        conn.channel().queue_declare("pika-q-transient", durable=False, arguments={"x-queue-type": "quorum"})
        check(False, "a non-durable quorum queue is refused")
    except pika.exceptions.ChannelClosedByBroker as e:
        check(e.reply_code == 406 and "invalid property 'non-durable'" in e.reply_text, "non-durable quorum: 406")
    ch = conn.channel()
    ch.queue_unbind("pika-no-such-queue", "amq.direct", "k")
    check(ch.is_open, "unbinding what does not exist answers unbind-ok")
    ch.exchange_declare("pika-cc-front", "direct")
    ch.exchange_declare("pika-cc-back", "direct")
    ch.exchange_bind("pika-cc-back", "pika-cc-front", "front")
    # (pika waits for a declare-ok naming the queue as sent, so the line breaks go in the bind: RabbitMQ strips
    # them in both.)
    q = ch.queue_declare("pika-cc-q", exclusive=True).method.queue
    ch.queue_bind("pika-cc\r\n-q", "pika-cc-back\n", "back")
    ch.basic_publish("pika-cc-front", "front", b"cc", pika.BasicProperties(headers={"CC": ["back"]}))
    method, props, body = None, None, None
    for _ in range(100):
        method, props, body = ch.basic_get(q, auto_ack=True)
        if method is not None:
            break
        conn.sleep(0.01)
    check(body == b"cc", "a CC key is routed by the exchange the publish key reached (bound without line breaks)")
    bad = conn.channel()
    bad.basic_publish("amq.direct", "x", b"bad", pika.BasicProperties(headers={"CC": "not-an-array"}))
    try:
        bad.queue_declare("", exclusive=True)
        check(False, "a non-array CC closes the channel")
    except pika.exceptions.ChannelClosedByBroker as e:
        check(e.reply_code == 406 and "unacceptable_type_in_header" in e.reply_text, "a non-array CC: 406")
    conn.close()


server_status_rpc()
weather()
confirms()
if CA_FILE is None:
    # Semantics, not transport: checked once, over plain TCP.
    rabbitmq_parity()
print("pika: all checks passed")
