package io.streamrag.query.retrieve;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamrag.common.opensearch.ChunkIndex;

import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Fusion keeps each retriever's first hit in the top k. */
class HybridRetrieverTest {

    private static ObjectNode hit(String id) {
        return JsonNodeFactory.instance.objectNode().put(ChunkIndex.CHUNK_ID, id);
    }

    private static Map.Entry<String, double[]> fused(String id, double score) {
        return new AbstractMap.SimpleEntry<>(id, new double[] {score});
    }

    private static List<String> top(List<Map.Entry<String, double[]>> ranked, int k, List<List<ObjectNode>> lists) {
        List<Map.Entry<String, double[]>> top = new ArrayList<>(ranked.subList(0, k));
        HybridRetriever.keepHeads(ranked, top, lists);
        return top.stream().map(Map.Entry::getKey).toList();
    }

    @Test
    void aChunkOnlyOneRetrieverRanksFirstStaysInTheTopK() {
        // "rare" is BM25's first hit and missing from the kNN list: with rrf-k 60 it fuses to 1/61, below every chunk
        // both lists hold, so plain fusion drops it from the top 3.
        List<Map.Entry<String, double[]>> ranked = List.of(fused("a", 2.0 / 62), fused("b", 2.0 / 64),
                fused("c", 2.0 / 66), fused("rare", 1.0 / 61), fused("d", 1.0 / 70));
        List<ObjectNode> byVector = List.of(hit("a"), hit("b"), hit("c"), hit("d"));
        List<ObjectNode> byText = List.of(hit("rare"), hit("a"), hit("b"), hit("c"));
        assertThat(top(ranked, 3, List.of(byVector, byText))).containsExactly("a", "b", "rare");
        // Heads already in the top k change nothing; neither do empty lists.
        assertThat(top(ranked, 3, List.of(byVector, byVector))).containsExactly("a", "b", "c");
        assertThat(top(ranked, 3, List.of(List.of(), List.of()))).containsExactly("a", "b", "c");
    }

    @Test
    void twoMissingHeadsNeverDisplaceEachOther() {
        List<Map.Entry<String, double[]>> ranked = List.of(fused("a", 0.05), fused("t", 0.0163), fused("v", 0.016));
        List<ObjectNode> byVector = List.of(hit("v"), hit("a"));
        List<ObjectNode> byText = List.of(hit("t"), hit("a"));
        assertThat(top(ranked, 1, List.of(byVector, byText))).containsExactly("v");
        assertThat(top(ranked, 2, List.of(byVector, byText))).containsExactly("t", "v");
    }
}
