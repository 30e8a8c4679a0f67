package io.streamrag.cluster.metrics;

import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.util.NetUtils;

import java.util.Iterator;
import java.util.Properties;

/**
 * Creates {@link LoopbackPrometheusReporter}s: Flink's Prometheus reporter, bound to one address.
 *
 * <pre>
 * metrics.reporter.prom.factory.class: io.streamrag.cluster.metrics.LoopbackPrometheusReporterFactory
 * metrics.reporter.prom.host: 127.0.0.1      # default; 0.0.0.0 in a container that Prometheus scrapes
 * metrics.reporter.prom.port: 9249-9251      # a port or a range: the first free one is taken
 * </pre>
 */
public class LoopbackPrometheusReporterFactory implements MetricReporterFactory {

    static final String ARG_HOST = "host";
    static final String ARG_PORT = "port";
    static final String DEFAULT_HOST = "127.0.0.1";
    static final String DEFAULT_PORT = "9249";

    @Override
    public LoopbackPrometheusReporter createMetricReporter(Properties properties) {
        String host = properties.getProperty(ARG_HOST, DEFAULT_HOST);
        Iterator<Integer> ports = NetUtils.getPortRangeFromString(properties.getProperty(ARG_PORT, DEFAULT_PORT));
        return new LoopbackPrometheusReporter(host, ports);
    }
}
