package io.streamrag.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Every request to the Flink REST API ends: a JobManager that takes connections but never answers is given up on. */
class FlinkRestTest {

    /**
     * A loopback socket that never accepts: the kernel completes connections into its backlog, so requests are sent
     * and no answer comes. Before, a cancel, a savepoint's trigger and a jar's removal waited for it forever.
     */
    @Test
    void requestsToAJobManagerThatNeverAnswersTimeOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            FlinkRest rest = new FlinkRest("http://127.0.0.1:" + silent.getLocalPort(), Duration.ofMillis(500));
            Duration bound = Duration.ofSeconds(30); // a bound on termination, not a speed target
            for (ThrowingCall call : List.<ThrowingCall>of(() -> rest.cancel("00000000000000000000000000000001"),
                    () -> rest.deleteJar("x.jar"),
                    () -> rest.stopWithSavepoint("00000000000000000000000000000001", "/tmp/savepoints", Duration.ofMinutes(1)))) {
                assertTimeoutPreemptively(bound, () -> assertThatThrownBy(call::run).isInstanceOf(HttpTimeoutException.class));
            }
        }
    }

    private interface ThrowingCall {
        void run() throws IOException;
    }
}
