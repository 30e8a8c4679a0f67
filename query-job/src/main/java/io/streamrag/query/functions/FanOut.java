package io.streamrag.query.functions;

import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.Retrieval;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

import java.util.List;

/**
 * One candidate request per sample: endpoints round-robin from an offset derived from the questionId (so load
 * spreads across questions), temperature spread around the base, seed = hash(questionId) + i.
 */
public class FanOut implements FlatMapFunction<Retrieval, CandidateRequest> {
    private static final long serialVersionUID = 1L;

    private final List<String> endpoints;
    private final double temperature;

    public FanOut(List<String> endpoints, double temperature) {
        this.endpoints = endpoints;
        this.temperature = temperature;
    }

    @Override
    public void flatMap(Retrieval r, Collector<CandidateRequest> out) {
        for (int i = 0; i < r.question.n; i++) {
            out.collect(request(r, i, endpoints, temperature));
        }
    }

    public static CandidateRequest request(Retrieval r, int i, List<String> endpoints, double temperature) {
        int hash = r.question.questionId.hashCode();
        CandidateRequest c = new CandidateRequest();
        c.retrieval = r;
        c.index = i;
        c.endpoint = endpoints.get(Math.floorMod(hash + i, endpoints.size()));
        c.temperature = Math.max(0.0, temperature + 0.1 * ((i % 3) - 1));
        c.seed = hash * 31L + i;
        return c;
    }
}
