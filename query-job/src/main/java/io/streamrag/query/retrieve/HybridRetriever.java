package io.streamrag.query.retrieve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.embedding.EmbeddingModel;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.query.records.RetrievedChunk;

import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.OpenSearchException;
import org.opensearch.client.opensearch._types.query_dsl.Query;
import org.opensearch.client.opensearch.core.SearchRequest;
import org.opensearch.client.opensearch.core.SearchResponse;
import org.opensearch.client.opensearch.core.search.Hit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hybrid retrieval: a k-NN query on the question embedding and a BM25 query on the text, both filtered by tenant,
 * fused with reciprocal rank fusion, each list's first hit kept in the top k. The reported score is the fused score
 * scaled so rank 1 in both lists is 1.0.
 */
public class HybridRetriever {

    /**
     * The most hits one search may ask for: the k-NN query's k is at most 10,000 (the plugin's K_MAX), and a search's
     * size at most index.max_result_window, 10,000 by default. Both searches ask for max(pool size, k).
     */
    public static final int MAX_HITS = 10_000;

    private final OpenSearchClient client;
    private final EmbeddingModel embeddings;
    private final String index;
    private final int pool;
    private final int rrfK;

    public HybridRetriever(OpenSearchClient client, EmbeddingModel embeddings, String index, int pool, int rrfK) {
        this.client = client;
        this.embeddings = embeddings;
        this.index = index;
        this.pool = pool;
        this.rrfK = rrfK;
    }

    public List<RetrievedChunk> retrieve(String tenant, String question, int k) {
        float[] vector = embeddings.embed(question).content().vector();
        int size = Math.max(pool, k);
        Query tenantFilter = Query.of(q -> q.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(tenant))));
        Query knn = Query.of(q -> q.knn(n -> n.field(ChunkIndex.EMBEDDING).vector(vector).k(size).filter(tenantFilter)));
        Query bm25 = Query.of(q -> q.bool(b -> b
                .must(m -> m.multiMatch(mm -> mm.query(question)
                        .fields(ChunkIndex.TEXT, ChunkIndex.TITLE + "^0.5", ChunkIndex.SECTION + "^0.5")))
                .filter(tenantFilter)));
        List<ObjectNode> byVector = search(knn, size);
        List<ObjectNode> byText = search(bm25, size);

        Map<String, double[]> fused = new LinkedHashMap<>();
        Map<String, ObjectNode> docs = new LinkedHashMap<>();
        addRanks(byVector, fused, docs);
        addRanks(byText, fused, docs);
        double best = 2.0 / (rrfK + 1);
        List<Map.Entry<String, double[]>> ranked = new ArrayList<>(fused.entrySet());
        ranked.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
        List<Map.Entry<String, double[]>> top = new ArrayList<>(ranked.subList(0, Math.min(k, ranked.size())));
        keepHeads(ranked, top, List.of(byVector, byText));
        List<RetrievedChunk> out = new ArrayList<>();
        top.forEach(e -> {
            ObjectNode d = docs.get(e.getKey());
            // Defence in depth: the filter already restricts to the tenant.
            if (!tenant.equals(d.path(ChunkIndex.TENANT).asText())) {
                return;
            }
            RetrievedChunk c = new RetrievedChunk();
            c.chunkId = e.getKey();
            c.documentId = d.path(ChunkIndex.DOCUMENT_ID).asText(null);
            c.page = d.path(ChunkIndex.PAGE).asInt(1);
            c.pageEnd = d.path(ChunkIndex.PAGE_END).asInt(c.page);
            if (d.path(ChunkIndex.PAGE_BREAKS).isArray()) {
                c.pageBreaks = new int[d.path(ChunkIndex.PAGE_BREAKS).size()];
                for (int i = 0; i < c.pageBreaks.length; i++) {
                    c.pageBreaks[i] = d.path(ChunkIndex.PAGE_BREAKS).get(i).asInt();
                }
            }
            c.kind = d.path(ChunkIndex.KIND).asText("text");
            c.title = d.path(ChunkIndex.TITLE).asText(null);
            c.text = d.path(ChunkIndex.TEXT).asText("");
            c.score = Math.round(e.getValue()[0] / best * 10_000) / 10_000.0;
            out.add(c);
        });
        return out;
    }

    /**
     * Each list's first hit stays in the fused top k: reciprocal rank fusion buries a chunk that one retriever ranks
     * first and the other misses (1/(k+1) loses to any chunk both rank within the first k+1), which is what a
     * question whose rare words only BM25 matches, or whose paraphrase only the embedding matches, looks like. The
     * head takes the place of the lowest fused chunk that is not itself a head; order stays by fused score.
     */
    static void keepHeads(List<Map.Entry<String, double[]>> ranked, List<Map.Entry<String, double[]>> top,
                          List<List<ObjectNode>> lists) {
        Set<String> heads = new LinkedHashSet<>();
        for (List<ObjectNode> list : lists) {
            if (!list.isEmpty()) {
                heads.add(list.get(0).path(ChunkIndex.CHUNK_ID).asText());
            }
        }
        for (String head : heads) {
            if (top.isEmpty() || top.stream().anyMatch(e -> e.getKey().equals(head))) {
                continue;
            }
            for (int i = top.size() - 1; i >= 0; i--) {
                if (!heads.contains(top.get(i).getKey())) {
                    top.remove(i);
                    ranked.stream().filter(e -> e.getKey().equals(head)).findFirst().ifPresent(top::add);
                    break;
                }
            }
        }
        top.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
    }

    private void addRanks(List<ObjectNode> hits, Map<String, double[]> fused, Map<String, ObjectNode> docs) {
        for (int rank = 0; rank < hits.size(); rank++) {
            ObjectNode d = hits.get(rank);
            String id = d.path(ChunkIndex.CHUNK_ID).asText();
            docs.putIfAbsent(id, d);
            fused.computeIfAbsent(id, x -> new double[1])[0] += 1.0 / (rrfK + rank + 1);
        }
    }

    private List<ObjectNode> search(Query query, int size) {
        SearchRequest request = SearchRequest.of(s -> s
                .index(index)
                .size(size)
                .query(query)
                .source(src -> src.filter(f -> f.excludes(ChunkIndex.EMBEDDING))));
        try {
            // A shard under load that did not answer is an outage, retried: its chunks missing made NO_CONTEXT, or fewer
            // sources. A shard failure no retry mends is logged and the others' hits used.
            SearchResponse<ObjectNode> response = OpenSearchClients.allShards(client.search(request, ObjectNode.class), "Search in " + index);
            List<ObjectNode> out = new ArrayList<>();
            for (Hit<ObjectNode> h : response.hits().hits()) {
                if (h.source() != null) {
                    out.add(h.source());
                }
            }
            return out;
        } catch (OpenSearchException e) {
            if ("index_not_found_exception".equals(e.error().type())) {
                return List.of(); // nothing ingested yet: no context rather than a failure
            }
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("Search in " + index + " failed", e);
        }
    }
}
