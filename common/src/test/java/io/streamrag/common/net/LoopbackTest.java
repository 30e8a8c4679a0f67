package io.streamrag.common.net;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The drills' network rule on the decision alone: nothing here connects anywhere (IP literals, and localhost). */
class LoopbackTest {

    @Test
    void loopbackAddressesAndLocalhostPass() {
        for (String ok : new String[] {"127.0.0.1:9092", "localhost:9092", "[::1]:9092", "::1", "127.0.0.2:19092,127.0.0.1:9092",
                "http://127.0.0.1:9200", "https://localhost:9200/", "http://[::1]:9200", "127.9.9.9"}) {
            assertThatCode(() -> Loopback.require("--bootstrap-server", ok)).as(ok).doesNotThrowAnyException();
        }
    }

    @Test
    void anyOtherAddressIsRefusedNamingTheOption() {
        for (String bad : new String[] {"10.0.0.1:9092", "http://192.168.1.5:9200", "8.8.8.8:53", "169.254.169.254:80",
                "127.0.0.1:9092,10.1.1.1:9092", "[fe80::1]:9092", "0.0.0.0:9092", "http://[2001:db8::1]:9200"}) {
            assertThatThrownBy(() -> Loopback.require("--bootstrap-server", bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--bootstrap-server: ")
                    .hasMessageContaining("loopback");
        }
        assertThatThrownBy(() -> Loopback.require("--opensearch", " ")).hasMessage("--opensearch is not set");
    }

    @Test
    void hostsAreReadFromEachForm() {
        assertThat(Loopback.host("Kafka.Example:9092")).isEqualTo("kafka.example");
        assertThat(Loopback.host("[::1]:9092")).isEqualTo("::1");
        assertThat(Loopback.host("::1")).isEqualTo("::1");
        assertThat(Loopback.host("http://[::1]:9200/x")).isEqualTo("::1");
        assertThat(Loopback.host("https://os.example/")).isEqualTo("os.example");
        assertThat(Loopback.host("127.0.0.1")).isEqualTo("127.0.0.1");
    }
}
