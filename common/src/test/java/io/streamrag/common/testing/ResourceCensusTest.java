package io.streamrag.common.testing;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The census tells leaked sockets by side and state, and leaves a fixture server's accepted sockets out. */
class ResourceCensusTest {

    private static final int CONNECTIONS = ResourceCensus.FD_SLACK + 2;

    @Test
    void reportsLeakedClientSocketsButNotTheFixtureServersSide() throws Exception {
        try (ServerSocket fixture = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Set<Integer> fixturePorts = Set.of(fixture.getLocalPort());
            ResourceCensus baseline = ResourceCensus.take(Map::of, Set.of(), fixturePorts);
            ResourceCensus everything = ResourceCensus.take(Map::of, t -> true);
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    open.add(new Socket(InetAddress.getLoopbackAddress(), fixture.getLocalPort()));
                    open.add(fixture.accept());
                }
                // Only the clients' side counts, and it says which side and state it is in (the JDK may open a socket
                // of its own on first use, hence no exact total).
                assertThat(ResourceCensus.take(Map::of, Set.of(), fixturePorts).growthOver(baseline))
                        .contains("socket:[#] tcp connected ESTABLISHED=" + CONNECTIONS)
                        .doesNotContain("accepted");
                // Without the fixture's port, its accepted side counts as well.
                assertThat(ResourceCensus.take(Map::of, t -> true).growthOver(everything))
                        .contains("socket:[#] tcp accepted ESTABLISHED=" + CONNECTIONS)
                        .contains("socket:[#] tcp connected ESTABLISHED=" + CONNECTIONS);
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
            assertThat(ResourceCensus.take(Map::of, Set.of(), fixturePorts).growthOver(baseline)).isEmpty();
        }
    }
}
