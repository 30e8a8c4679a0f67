package io.streamrag.cluster.metrics;

import org.apache.flink.metrics.prometheus.AbstractPrometheusReporter;

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
    private final int port;

    LoopbackPrometheusReporter(String host, Iterator<Integer> ports) {
        CollectorRegistry registry = registryOf(this);
        HTTPServer started = null;
        int bound = -1;
        IOException last = null;
        while (started == null && ports.hasNext()) {
            int candidate = ports.next();
            try {
                started = new HTTPServer(new InetSocketAddress(host, candidate), registry, true);
                bound = candidate;
            } catch (IOException e) {
                last = e; // port taken (another TaskManager on this host): try the next one of the range
            }
        }
        if (started == null) {
            throw new IllegalStateException("No free port for the Prometheus reporter on " + host, last);
        }
        this.server = started;
        this.port = bound;
        log.info("Prometheus reporter serving on http://{}:{}/metrics", host, port);
    }

    /** The port the reporter listens on. */
    public int port() {
        return port;
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
