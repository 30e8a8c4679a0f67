package io.streamrag.common.testing;

import io.streamrag.common.opensearch.OpenSearchClients;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.generic.Body;
import org.opensearch.client.opensearch.generic.Requests;
import org.opensearch.client.opensearch.generic.Response;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JUnit 5 extension for the real local OpenSearch node: starts it when needed, hands each test its own index or
 * alias name and deletes every index under those names after the class; {@link #secured()} is the same for the
 * HTTPS node with basic auth of {@link SecureServices}.
 */
public class OpenSearchExtension implements BeforeAllCallback, AfterAllCallback {

    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private final boolean secured;
    private OpenSearchClient client;

    /** The plain local node (http://127.0.0.1:9200). */
    public OpenSearchExtension() {
        this(false);
    }

    private OpenSearchExtension(boolean secured) {
        this.secured = secured;
    }

    /** The secured local node (https://127.0.0.1:9201, user streamrag, the generated CA). */
    public static OpenSearchExtension secured() {
        return new OpenSearchExtension(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (secured) {
            SecureServices.ensureOpenSearch();
        } else {
            LocalServices.ensureOpenSearch();
        }
        client = OpenSearchClients.create(clientConf());
    }

    /** The options (URL, user, password file, CA) a job or client needs to reach this node. */
    public Configuration clientConf() {
        if (secured) {
            return SecureServices.openSearchClientConf();
        }
        Configuration conf = new Configuration();
        conf.setString("opensearch.url", LocalServices.OPENSEARCH_URL);
        return conf;
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        for (String name : names) {
            // The wildcard catches the concrete index behind an alias (<alias>-v1) too.
            client.indices().delete(d -> d.index(name + "*").ignoreUnavailable(true).allowNoIndices(true));
        }
        OpenSearchClients.close(client);
    }

    public String url() {
        return secured ? SecureServices.OPENSEARCH_URL : LocalServices.OPENSEARCH_URL;
    }

    public OpenSearchClient client() {
        return client;
    }

    /** A fresh, unused index (or alias) name starting with {@code prefix}; cleaned up after the class. */
    public String uniqueName(String prefix) {
        String name = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-") + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        names.add(name);
        return name;
    }

    /**
     * Sets or removes the cluster-wide write block ({@code cluster.blocks.read_only}), under which OpenSearch refuses
     * every write request as a whole with 403 {@code cluster_block_exception}. A transient setting, so a test cut off
     * before its {@code finally} leaves none behind a node restart (the node is the one {@code bin/rag up} uses);
     * call it with {@code false} in a {@code finally}, as it outlives the test class.
     */
    public void blockClusterWrites(boolean on) throws IOException {
        byte[] body = ("{\"transient\":{\"cluster.blocks.read_only\":" + (on ? "true" : "null") + "}}").getBytes(StandardCharsets.UTF_8);
        try (Response r = client.generic().execute(Requests.builder().method("PUT").endpoint("/_cluster/settings")
                .body(Body.from(body, "application/json")).build())) {
            if (r.getStatus() != 200) {
                throw new IOException("Setting cluster.blocks.read_only=" + on + " answered HTTP " + r.getStatus());
            }
        }
    }

    /** Makes recent writes searchable now instead of after the refresh interval. */
    public void refresh(String index) throws IOException {
        client.indices().refresh(r -> r.index(index));
    }
}
