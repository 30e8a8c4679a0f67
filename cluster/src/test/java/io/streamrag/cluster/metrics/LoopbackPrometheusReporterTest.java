package io.streamrag.cluster.metrics;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The reporter binds only the configured host, serves /metrics there, and skips ports of its range that are taken. */
class LoopbackPrometheusReporterTest {

    private static LoopbackPrometheusReporter create(String host, String port) {
        Properties p = new Properties();
        if (host != null) {
            p.setProperty(LoopbackPrometheusReporterFactory.ARG_HOST, host);
        }
        p.setProperty(LoopbackPrometheusReporterFactory.ARG_PORT, port);
        return new LoopbackPrometheusReporterFactory().createMetricReporter(p);
    }

    @Test
    void bindsLoopbackByDefaultAndServesMetrics() throws Exception {
        LoopbackPrometheusReporter reporter = create(null, "0");
        try {
            InetSocketAddress address = reporter.address();
            assertThat(address.getAddress().isLoopbackAddress()).isTrue();
            assertThat(address.getAddress().isAnyLocalAddress()).isFalse();
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
        } finally {
            reporter.close();
        }
    }

    @Test
    void takesTheNextFreePortOfTheRange() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            LoopbackPrometheusReporter reporter = create("127.0.0.1", port + "-" + (port + 20));
            try {
                assertThat(reporter.address().getPort()).isGreaterThan(port).isLessThanOrEqualTo(port + 20);
            } finally {
                reporter.close();
            }
        }
    }
}
