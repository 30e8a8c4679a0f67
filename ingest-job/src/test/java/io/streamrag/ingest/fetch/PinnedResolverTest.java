package io.streamrag.ingest.fetch;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client's name service answers only the pinned host, with the pinned addresses, and nothing once cleared. */
class PinnedResolverTest {

    @Test
    void answersOnlyThePinnedHostWithItsCheckedAddresses() throws Exception {
        PinnedResolver resolver = new PinnedResolver();
        assertThatThrownBy(() -> resolver.resolve("docs.example.com")).isInstanceOf(UnknownHostException.class);

        InetAddress a = InetAddress.getByName("93.184.216.34"); // literals: no lookup
        InetAddress b = InetAddress.getByName("2606:2800:220:1:248:1893:25c8:1946");
        resolver.pin("Docs.Example.com.", List.of(a, b));
        assertThat(resolver.resolve("docs.example.com")).containsExactly(a, b);
        assertThat(resolver.resolve("DOCS.example.com.")).containsExactly(a, b);
        assertThatThrownBy(() -> resolver.resolve("other.example.com")).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("not checked");
        // The answer is a copy: the client cannot change what later connects of this request get.
        resolver.resolve("docs.example.com")[0] = b;
        assertThat(resolver.resolve("docs.example.com")).containsExactly(a, b);

        resolver.pin("[::1]", List.of(InetAddress.getByName("::1")));
        assertThat(resolver.resolve("::1")).containsExactly(InetAddress.getByName("::1"));
        assertThat(resolver.resolve("[::1]")).containsExactly(InetAddress.getByName("::1"));
        assertThatThrownBy(() -> resolver.resolve("docs.example.com")).isInstanceOf(UnknownHostException.class);

        resolver.clear();
        assertThatThrownBy(() -> resolver.resolve("::1")).isInstanceOf(UnknownHostException.class);
        assertThat(resolver.resolveCanonicalHostname("docs.example.com")).isEqualTo("docs.example.com");
    }
}
