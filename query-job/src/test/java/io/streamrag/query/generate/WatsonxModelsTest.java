package io.streamrag.query.generate;

import com.ibm.watsonx.ai.core.provider.HttpClientProvider;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The watsonx SDK's own JVM-wide JDK clients, which it builds even though every endpoint hands it one of its own, are
 * stopped and dropped when the last watsonx endpoint closes: their selector threads kept the job's class loader (as
 * their context class loader) after the job had gone, one more loader in Metaspace at every resubmission.
 */
class WatsonxModelsTest {

    /** The SDK's static clients (secure and insecure); null where none was built. */
    private static List<HttpClient> sdkClients() throws ReflectiveOperationException {
        List<HttpClient> clients = new ArrayList<>();
        for (String name : new String[] {"secureClient", "insecureClient"}) {
            Field f = HttpClientProvider.class.getDeclaredField(name);
            f.setAccessible(true);
            clients.add((HttpClient) f.get(null));
        }
        return clients;
    }

    /** The selector thread of a JDK client (named after the id its toString ends with), or null if it has none. */
    private static Thread selectorOf(HttpClient client) {
        String text = client.toString();
        String name = "HttpClient-" + text.substring(text.lastIndexOf('(') + 1, text.length() - 1) + "-SelectorManager";
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst().orElse(null);
    }

    private static ChatEndpoint endpoint(String name, int port) {
        return new ChatEndpoint(EndpointSpec.parse(name + "=watsonx,http://127.0.0.1:" + port + "?project_id=p,m,2,1.0,5000"),
                new RetryPolicy(0, 10, 10), 16, CallListener.NONE);
    }

    @Test
    void theSdksOwnClientsStopWhenTheLastWatsonxEndpointCloses() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed below: each call is refused at once
        }
        ChatEndpoint first = endpoint("wx-1", port);
        ChatEndpoint second = endpoint("wx-2", port);
        List<Thread> selectors = new ArrayList<>();
        for (HttpClient c : sdkClients()) {
            if (c != null) {
                selectors.add(selectorOf(c));
            }
        }
        assertThat(selectors).as("the SDK built its own client beside ours").isNotEmpty().doesNotContainNull();
        assertThatThrownBy(() -> first.call("q", 0.0, 1, System.currentTimeMillis() + 5_000))
                .isInstanceOf(CallFailedException.class);

        first.close();
        assertThat(sdkClients()).as("another watsonx endpoint is still open").anyMatch(c -> c != null);
        second.close();

        assertThat(sdkClients()).as("dropped, so a later endpoint's SDK makes a live one").containsOnlyNulls();
        for (Thread t : selectors) {
            t.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(t.isAlive()).as(t.getName() + " ended").isFalse();
        }
    }
}
