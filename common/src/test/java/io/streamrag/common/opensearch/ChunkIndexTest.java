package io.streamrag.common.opensearch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ChunkIndex#ensure} against a local HTTP server standing for OpenSearch 2.19 (its answers to HEAD of the alias
 * and GET of its mapping): an index that exists with another embedding dimension than the job's is refused, naming
 * both, instead of taking every chunk's write and rejecting it.
 */
class ChunkIndexTest {
    private static final String ALIAS = "rag-chunks";

    private HttpServer server;
    private OpenSearchClient client;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    /** HEAD of the alias: 200 when the index exists, 404 when not. */
    private volatile int exists = 200;
    private volatile int mappingStatus = 200;
    private volatile String mappingBody = mapping(768);

    /** GET /rag-chunks/_mapping as OpenSearch 2.19 answers it for an index the job created with {@code dimension}. */
    static String mapping(int dimension) {
        return "{\"" + ALIAS + "-v1\":{\"mappings\":{\"properties\":{"
                + "\"chunkId\":{\"type\":\"keyword\"},"
                + "\"embedding\":{\"type\":\"knn_vector\",\"dimension\":" + dimension + ",\"method\":{\"engine\":\"lucene\","
                + "\"space_type\":\"cosinesimil\",\"name\":\"hnsw\",\"parameters\":{}}},"
                + "\"text\":{\"type\":\"text\",\"analyzer\":\"english\"}}}}}";
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.start();
        client = OpenSearchClients.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        OpenSearchClients.close(client);
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        String request = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
        requests.add(request);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(exists, -1);
        } else {
            byte[] body = (request.equals("GET /" + ALIAS + "/_mapping") ? mappingBody
                    : "{\"acknowledged\":true,\"shards_acknowledged\":true,\"index\":\"" + ALIAS + "-v1\"}")
                    .getBytes(StandardCharsets.UTF_8);
            int status = request.equals("GET /" + ALIAS + "/_mapping") ? mappingStatus : 200;
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
        }
        exchange.close();
    }

    @Test
    void anIndexWithAnotherDimensionIsRefusedNamingBoth() {
        // Before, ensure returned as soon as the index existed: every bulk item was then rejected (400) and each
        // document dead-lettered as index/IndexingFailed while the job ran on.
        assertThatThrownBy(() -> ChunkIndex.ensure(client, ALIAS, 384, 1, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("The chunk index rag-chunks-v1 behind opensearch.index=rag-chunks maps embedding with "
                        + "dimension 768, but embedding.dimension is 384")
                .hasMessageContaining("set embedding.dimension=768");
        assertThat(requests).containsExactly("HEAD /" + ALIAS, "GET /" + ALIAS + "/_mapping");
    }

    @Test
    void anIndexWithTheSameDimensionIsTakenAsItIs() throws Exception {
        mappingBody = mapping(384);
        ChunkIndex.ensure(client, ALIAS, 384, 1, 0);
        assertThat(requests).containsExactly("HEAD /" + ALIAS, "GET /" + ALIAS + "/_mapping");
    }

    /** A migration: the alias over the old index (384, read-only) and the new write index (768); the job writes 768. */
    @Test
    void anAliasOverIndicesOfBothDimensionsIsTakenRefusedOnlyWhenNoneFits() throws Exception {
        String old = mapping(384);
        String both = old.substring(0, old.length() - 1) + "," + mapping(768).replace(ALIAS + "-v1", ALIAS + "-v2").substring(1);
        mappingBody = both;
        ChunkIndex.ensure(client, ALIAS, 768, 1, 0);
        ChunkIndex.ensure(client, ALIAS, 384, 1, 0);
        assertThatThrownBy(() -> ChunkIndex.ensure(client, ALIAS, 512, 1, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("but embedding.dimension is 512");
    }

    @Test
    void aMissingIndexIsCreatedWithoutAskingForItsMapping() throws Exception {
        exists = 404;
        ChunkIndex.ensure(client, ALIAS, 384, 1, 0);
        assertThat(requests).containsExactly("HEAD /" + ALIAS, "PUT /" + ALIAS + "-v1");
    }

    @Test
    void whenTheDimensionCannotBeToldTheIndexIsTakenAsItIs() throws Exception {
        // A user allowed to write but not to read mappings: not a reason to stop indexing.
        mappingStatus = 403;
        mappingBody = "{\"error\":{\"root_cause\":[{\"type\":\"security_exception\",\"reason\":\"no permissions for "
                + "[indices:admin/mappings/get]\"}],\"type\":\"security_exception\",\"reason\":\"no permissions for "
                + "[indices:admin/mappings/get]\"},\"status\":403}";
        ChunkIndex.ensure(client, ALIAS, 384, 1, 0);
        // No k-NN embedding field (an index made by hand): nothing to compare.
        mappingStatus = 200;
        mappingBody = "{\"" + ALIAS + "-v1\":{\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"}}}}}";
        ChunkIndex.ensure(client, ALIAS, 384, 1, 0);
        // The alias gone between the two requests.
        mappingStatus = 404;
        mappingBody = "{\"error\":{\"root_cause\":[{\"type\":\"index_not_found_exception\",\"reason\":\"no such index [rag-chunks]\"}],"
                + "\"type\":\"index_not_found_exception\",\"reason\":\"no such index [rag-chunks]\"},\"status\":404}";
        ChunkIndex.ensure(client, ALIAS, 384, 1, 0);
    }

    @Test
    void aFailedMappingRequestIsThrownForTheCallerToRetry() {
        mappingStatus = 503;
        mappingBody = "{\"error\":{\"root_cause\":[],\"type\":\"cluster_block_exception\",\"reason\":\"blocked\"},\"status\":503}";
        assertThatThrownBy(() -> ChunkIndex.ensure(client, ALIAS, 384, 1, 0))
                .satisfies(e -> assertThat(OpenSearchClients.retriable((Exception) e)).isTrue());
    }
}
