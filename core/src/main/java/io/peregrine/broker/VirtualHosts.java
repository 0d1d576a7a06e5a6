package io.peregrine.broker;

import io.peregrine.message.MessagePool;
import io.peregrine.store.MessageStore;
import org.agrona.ErrorHandler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The broker's virtual hosts, each its own namespace of exchanges, queues and bindings, journaled through its own
 * view of the store ({@link MessageStore#forVirtualHost}) and recovered as such. Loop thread only.
 */
public final class VirtualHosts
{
    private final Map<String, VirtualHost> byName = new HashMap<>();
    private final ArrayList<VirtualHost> all = new ArrayList<>();
    private final MessagePool pool;
    private final Dispatcher dispatcher;
    private final ErrorHandler errorHandler;
    private final int maxQueues;
    private final int maxExchanges;
    private final int maxBindings;
    private org.agrona.concurrent.status.CountersManager countersManager;
    private io.peregrine.status.LatencyStats latency;
    private io.peregrine.status.BrokerCounters brokerCounters;
    private MessageStore store = MessageStore.NONE;

    /**
     * Virtual hosts sharing the loop's pool and dispatcher, each with the broker-wide limits.
     *
     * @param pool         message pool.
     * @param dispatcher   the loop's dispatcher.
     * @param errorHandler where faults in a virtual host's own work go.
     * @param maxQueues    most queues per virtual host.
     * @param maxExchanges most exchanges per virtual host.
     * @param maxBindings  most bindings per virtual host.
     */
    public VirtualHosts(final MessagePool pool, final Dispatcher dispatcher, final ErrorHandler errorHandler,
        final int maxQueues, final int maxExchanges, final int maxBindings)
    {
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.errorHandler = errorHandler;
        this.maxQueues = maxQueues;
        this.maxExchanges = maxExchanges;
        this.maxBindings = maxBindings;
    }

    /**
     * Give the queues of virtual hosts made from now on counters in this file (call before any is made).
     *
     * @param manager the counters file's manager.
     */
    public void countersManager(final org.agrona.concurrent.status.CountersManager manager)
    {
        this.countersManager = manager;
    }

    /**
     * Record queue residence times for virtual hosts made from now on.
     *
     * @param latency the histograms.
     */
    public void latency(final io.peregrine.status.LatencyStats latency)
    {
        this.latency = latency;
    }

    /**
     * Count drops, expiries and dead letters for virtual hosts made from now on.
     *
     * @param counters the broker's counters.
     */
    public void brokerCounters(final io.peregrine.status.BrokerCounters counters)
    {
        this.brokerCounters = counters;
    }

    /**
     * Journal through this store from now on (each virtual host through its own view of it).
     *
     * @param store the store.
     */
    public void store(final MessageStore store)
    {
        this.store = store;
        for (final VirtualHost host : all)
        {
            host.store(store.forVirtualHost(host.name()));
        }
    }

    /**
     * A virtual host.
     *
     * @param name its name.
     * @return it, or null.
     */
    public VirtualHost get(final String name)
    {
        return byName.get(name);
    }

    /**
     * A virtual host, created (with the standard exchanges) if it does not exist yet.
     *
     * @param name its name.
     * @return it.
     */
    public VirtualHost getOrCreate(final String name)
    {
        VirtualHost host = byName.get(name);
        if (null == host)
        {
            host = new VirtualHost(name, pool, dispatcher)
                .limits(maxQueues, maxExchanges, maxBindings)
                .errorHandler(errorHandler)
                .countersManager(countersManager)
                .latency(latency)
                .brokerCounters(brokerCounters);
            host.store(store.forVirtualHost(name));
            byName.put(name, host);
            all.add(host);
        }
        return host;
    }

    /**
     * Delete a virtual host and everything in it (journaled as deletions).
     *
     * @param name its name.
     */
    public void delete(final String name)
    {
        final VirtualHost host = byName.remove(name);
        if (null != host)
        {
            all.remove(host);
            host.deleteEverything();
            host.releaseCounters();
        }
    }

    /**
     * Every virtual host.
     *
     * @return them (do not change the list).
     */
    public List<VirtualHost> all()
    {
        return all;
    }

    /**
     * Set the loop's cached clock on every virtual host.
     *
     * @param nowNs nanoseconds.
     */
    public void nowNs(final long nowNs)
    {
        final ArrayList<VirtualHost> all = this.all;
        for (int i = 0, size = all.size(); i < size; i++)
        {
            all.get(i).nowNs(nowNs);
        }
    }

    /**
     * Queues in every virtual host.
     *
     * @return the count.
     */
    public int queueCount()
    {
        int count = 0;
        for (int i = all.size() - 1; i >= 0; i--)
        {
            count += all.get(i).queueCount();
        }
        return count;
    }

    /**
     * When the earliest queue head of any virtual host expires.
     *
     * @return by the loop's clock; {@link Long#MAX_VALUE} when none does.
     */
    public long nextExpiryNs()
    {
        long next = Long.MAX_VALUE;
        for (int i = all.size() - 1; i >= 0; i--)
        {
            final long candidate = all.get(i).nextExpiryNs();
            if (candidate - next < 0)
            {
                next = candidate;
            }
        }
        return next;
    }

    /**
     * Timers of every virtual host (expiry, x-expires).
     *
     * @param nowNs the loop's clock.
     * @return work done.
     */
    public int onTimer(final long nowNs)
    {
        int work = 0;
        for (int i = all.size() - 1; i >= 0; i--)
        {
            work += all.get(i).onTimer(nowNs);
        }
        return work;
    }

    /**
     * Rebuild every virtual host found in the store (at startup, before any client connects); one the store has
     * entries for is created.
     */
    public void recover()
    {
        final Map<String, MessageStore.RecoveryHandler> handlers = new HashMap<>();
        try
        {
            store.recover(vhost -> handlers.computeIfAbsent(vhost, name -> getOrCreate(name).recovering(true)));
        }
        finally
        {
            for (final String name : handlers.keySet())
            {
                getOrCreate(name).recovering(false);
            }
        }
    }
}
