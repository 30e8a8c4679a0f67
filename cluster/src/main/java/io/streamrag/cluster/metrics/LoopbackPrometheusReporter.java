package io.streamrag.cluster.metrics;

import org.apache.flink.metrics.prometheus.AbstractPrometheusReporter;

import com.sun.net.httpserver.HttpServer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Iterator;

/**
 * Flink's Prometheus reporter serving {@code /metrics} on one host address instead of every interface (the stock
 * {@code PrometheusReporter} has no host option). Metric names and labels are the stock reporter's.
 */
public class LoopbackPrometheusReporter extends AbstractPrometheusReporter {

    private final HTTPServer server;
    private final InetSocketAddress address;

    LoopbackPrometheusReporter(String host, Iterator<Integer> ports) {
        CollectorRegistry registry = registryOf(this);
        HttpServer bound = null;
        IOException last = null;
        while (bound == null && ports.hasNext()) {
            try {
                bound = HttpServer.create(new InetSocketAddress(host, ports.next()), 3);
            } catch (IOException e) {
                last = e; // port taken (another TaskManager on this host): try the next one of the range
            }
        }
        if (bound == null) {
            throw new IllegalStateException("No free port for the Prometheus reporter on " + host, last);
        }
        try {
            this.server = new HTTPServer(bound, registry, true);
        } catch (IOException e) {
            bound.stop(0);
            throw new IllegalStateException("Cannot start the Prometheus reporter on " + bound.getAddress(), e);
        }
        this.address = bound.getAddress();
        log.info("Prometheus reporter serving on http://{}:{}/metrics", address.getHostString(), address.getPort());
    }

    /** The address the reporter listens on. */
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.stop();
        super.close();
    }

    /** The stock reporter keeps its registry package-private; the HTTP server must serve that same registry. */
    private static CollectorRegistry registryOf(AbstractPrometheusReporter reporter) {
        try {
            Field f = AbstractPrometheusReporter.class.getDeclaredField("registry");
            f.setAccessible(true);
            return (CollectorRegistry) f.get(reporter);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Flink's AbstractPrometheusReporter has no registry field any more", e);
        }
    }
}
