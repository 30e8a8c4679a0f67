package io.streamrag.common.opensearch;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingOptions;

import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.OpenSearchException;
import org.opensearch.client.opensearch._types.mapping.Property;
import org.opensearch.client.opensearch._types.mapping.TypeMapping;
import org.opensearch.client.opensearch._types.query_dsl.Query;
import org.opensearch.client.opensearch.indices.CreateIndexRequest;
import org.opensearch.client.opensearch.indices.GetMappingResponse;
import org.opensearch.client.opensearch.indices.get_mapping.IndexMappingRecord;
import org.opensearch.client.transport.httpclient5.ResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The chunk index: field names, the k-NN mapping and idempotent creation behind an alias. */
public final class ChunkIndex {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkIndex.class);

    public static final String CHUNK_ID = "chunkId";
    public static final String DOCUMENT_ID = "documentId";
    public static final String TENANT = "tenant";
    public static final String VERSION = "version";
    public static final String PAGE = "page";
    public static final String PAGE_END = "pageEnd";
    public static final String PAGE_BREAKS = "pageBreaks";
    public static final String KIND = "kind";
    public static final String CHUNK_INDEX = "chunkIndex";
    public static final String TITLE = "title";
    public static final String SECTION = "section";
    public static final String TEXT = "text";
    public static final String CONTENT_TYPE = "contentType";
    public static final String URI = "uri";
    public static final String EVENT_TIME = "eventTime";
    public static final String EMBEDDING = "embedding";

    /** Lucene HNSW: the Maven k-NN plugin ships no faiss natives, and a faiss index kills the node. */
    public static final String KNN_ENGINE = "lucene";
    public static final String KNN_SPACE = "cosinesimil";

    /**
     * The largest vector dimension the k-NN plugin maps with {@link #KNN_ENGINE} (its {@code KNNEngine} table: 16,000
     * for lucene in 2.19, the version the project runs); OpenSearch refuses to create the index with a larger one.
     */
    public static final int MAX_DIMENSION = 16_000;

    private ChunkIndex() {}

    /** The concrete index behind an alias; a new mapping would get a new suffix and an alias swap. */
    public static String concreteName(String alias) {
        return alias + "-v1";
    }

    public static TypeMapping mapping(int dimension) {
        Map<String, Property> p = new LinkedHashMap<>();
        p.put(CHUNK_ID, Property.of(b -> b.keyword(k -> k)));
        p.put(DOCUMENT_ID, Property.of(b -> b.keyword(k -> k)));
        p.put(TENANT, Property.of(b -> b.keyword(k -> k)));
        p.put(VERSION, Property.of(b -> b.long_(l -> l)));
        p.put(PAGE, Property.of(b -> b.integer(i -> i)));
        p.put(PAGE_END, Property.of(b -> b.integer(i -> i)));
        // Read back with the chunk to tell on which page a cited span stands; never searched.
        p.put(PAGE_BREAKS, Property.of(b -> b.integer(i -> i.index(false).docValues(false))));
        p.put(KIND, Property.of(b -> b.keyword(k -> k)));
        p.put(CHUNK_INDEX, Property.of(b -> b.integer(i -> i)));
        p.put(TITLE, Property.of(b -> b.text(t -> t.analyzer("english"))));
        p.put(SECTION, Property.of(b -> b.text(t -> t.analyzer("english"))));
        p.put(TEXT, Property.of(b -> b.text(t -> t.analyzer("english"))));
        p.put(CONTENT_TYPE, Property.of(b -> b.keyword(k -> k)));
        p.put(URI, Property.of(b -> b.keyword(k -> k.index(false))));
        p.put(EVENT_TIME, Property.of(b -> b.date(d -> d.format("epoch_millis"))));
        p.put(EMBEDDING, Property.of(b -> b.knnVector(v -> v
                .dimension(dimension)
                .method(m -> m.name("hnsw").engine(KNN_ENGINE).spaceType(KNN_SPACE)))));
        return TypeMapping.of(m -> m.properties(p));
    }

    /**
     * Creates {@code <alias>-v1} with the chunk mapping and points {@code alias} at it, unless the alias or
     * index already exists. Safe to call from several parallel sink writers at once.
     *
     * @throws DimensionMismatchException when the index exists and maps {@link #EMBEDDING} with another dimension than
     *     {@code dimension} (see {@link #requireDimension})
     */
    public static void ensure(OpenSearchClient client, String alias, int dimension, int shards, int replicas)
            throws IOException {
        if (client.indices().exists(e -> e.index(alias)).value()) {
            requireDimension(client, alias, dimension);
            return;
        }
        String index = concreteName(alias);
        CreateIndexRequest request = CreateIndexRequest.of(c -> c
                .index(index)
                .settings(s -> s
                        .numberOfShards(String.valueOf(shards))
                        .numberOfReplicas(String.valueOf(replicas))
                        .knn(true))
                .mappings(mapping(dimension))
                .aliases(alias, a -> a.isWriteIndex(true)));
        try {
            client.indices().create(request);
        } catch (OpenSearchException e) {
            // Another writer created it between our check and our create: that is the outcome we wanted.
            if (!"resource_already_exists_exception".equals(e.error().type())) {
                throw e;
            }
        }
    }

    /**
     * Throws {@link DimensionMismatchException} when the indices behind {@code alias} map {@link #EMBEDDING} as a
     * k-NN vector of another dimension than {@code dimension}, each of them: OpenSearch would then reject every chunk written to it
     * (a 400 per bulk item) and fail every k-NN search of it. Returns when that cannot be told: no such index, no
     * k-NN {@code embedding} field, a mapping the job's user may not read (403) or the client cannot parse. Other
     * failures (I/O, 5xx) are thrown as they are, for the caller to retry like its other requests.
     */
    public static void requireDimension(OpenSearchClient client, String alias, int dimension) throws IOException {
        Map<String, Integer> dimensions = embeddingDimensions(client, alias);
        // An alias over several indices (a migration: the old one read-only, the new one the write index) is refused only
        // when none of them fits: the chunks go to its write index, which may be the one that does.
        if (!dimensions.isEmpty() && !dimensions.containsValue(dimension)) {
            Map.Entry<String, Integer> mapped = dimensions.entrySet().iterator().next();
            throw new DimensionMismatchException(alias, mapped.getKey(), mapped.getValue(), dimension);
        }
    }

    /** The dimension of {@link #EMBEDDING} in each index behind {@code alias} that maps it as a k-NN vector; empty when unknown. */
    static Map<String, Integer> embeddingDimensions(OpenSearchClient client, String alias) throws IOException {
        GetMappingResponse response;
        try {
            response = client.indices().getMapping(m -> m.index(alias));
        } catch (OpenSearchException e) {
            if (e.status() == 404 || e.status() == 403) {
                return Map.of(); // no such index (yet), or no permission to read mappings: nothing to compare
            }
            throw e;
        } catch (IOException e) {
            if (forbidden(e)) { // the transport throws a 403 as I/O (its ResponseException inside)
                return Map.of();
            }
            throw e;
        } catch (RuntimeException e) {
            // An answer the client cannot parse: not a reason to stop indexing (this is a check on top of the writes).
            LOG.warn("Could not read the mapping of {} to compare its embedding dimension: {}", alias, e.toString());
            return Map.of();
        }
        Map<String, Integer> dimensions = new TreeMap<>();
        for (Map.Entry<String, IndexMappingRecord> index : response.result().entrySet()) {
            TypeMapping mappings = index.getValue().mappings();
            Property embedding = mappings == null ? null : mappings.properties().get(EMBEDDING);
            if (embedding != null && embedding.isKnnVector()) {
                dimensions.put(index.getKey(), embedding.knnVector().dimension());
            }
        }
        return dimensions;
    }

    private static boolean forbidden(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ResponseException && ((ResponseException) t).status() == 403) {
                return true;
            }
        }
        return false;
    }

    /** The chunk index exists with vectors of another dimension than the job's: no chunk of the job could be written to it. */
    public static final class DimensionMismatchException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        DimensionMismatchException(String alias, String index, int mapped, int configured) {
            super("The chunk index " + index + " behind " + StreamRagOptions.OPENSEARCH_INDEX.key() + "=" + alias
                    + " maps " + EMBEDDING + " with dimension " + mapped + ", but " + EmbeddingOptions.DIMENSION.key() + " is "
                    + configured + ": OpenSearch would reject every chunk (each document dead-lettered) and every k-NN search. "
                    + "Write to a new index (another " + StreamRagOptions.OPENSEARCH_INDEX.key() + ") for the new model, or set "
                    + EmbeddingOptions.DIMENSION.key() + "=" + mapped + " with the model the index was built with");
        }
    }

    /** Filter clauses that select one document's chunks: a document is its tenant and its documentId. */
    public static List<Query> documentFilter(String tenant, String documentId) {
        List<Query> clauses = new ArrayList<>();
        clauses.add(Query.of(q -> q.term(t -> t.field(DOCUMENT_ID).value(FieldValue.of(documentId)))));
        clauses.add(Query.of(q -> q.term(t -> t.field(TENANT).value(FieldValue.of(tenant)))));
        return clauses;
    }
}
