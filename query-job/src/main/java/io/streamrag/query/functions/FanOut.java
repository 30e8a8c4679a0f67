package io.streamrag.query.functions;

import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.StrategyName;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.Retrieval;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

import java.util.HashMap;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One candidate request per sample: endpoints round-robin from an offset derived from the questionId (so load
 * spreads across questions), temperature spread around the base, seed = hash(questionId) + i, or hash(seed) + i
 * when the question carries a {@code seed} (so a seeded question samples the same whatever its id). On an endpoint that
 * takes OpenAI's {@code n} ({@link EndpointSpec#maxChoices} > 1) its candidates go out as one request of up to
 * maxChoices samples ({@link CandidateRequest#choices}), for strategies whose candidates share one prompt (not ITERDRAG).
 */
public class FanOut implements FlatMapFunction<Retrieval, CandidateRequest> {
    private static final long serialVersionUID = 1L;

    private final List<String> endpoints;
    private final double temperature;
    /** maxChoices of the endpoints that take OpenAI's n; absent = one request per candidate. */
    private final HashMap<String, Integer> maxChoices = new HashMap<>();

    public FanOut(List<String> endpoints, double temperature) {
        this.endpoints = endpoints;
        this.temperature = temperature;
    }

    /** One request per candidate, except on endpoints with maxChoices > 1 (see the class comment). */
    public static FanOut of(List<EndpointSpec> specs, double temperature) {
        FanOut f = new FanOut(specs.stream().map(s -> s.name).collect(Collectors.toList()), temperature);
        specs.stream().filter(s -> s.maxChoices > 1).forEach(s -> f.maxChoices.put(s.name, s.maxChoices));
        return f;
    }

    @Override
    public void flatMap(Retrieval r, Collector<CandidateRequest> out) {
        int n = r.question.n;
        int step = endpoints.size();
        StrategyName strategy = r.question.strategy == null ? null : StrategyName.parse(r.question.strategy);
        boolean shared = strategy == null || strategy.singlePrompt(); // unknown names run as RAG
        for (int i = 0; i < n; i++) {
            CandidateRequest c = request(r, i, endpoints, temperature);
            int max = shared ? maxChoices.getOrDefault(c.endpoint, 1) : 1;
            if (max <= 1) {
                out.collect(c);
            } else if (i < step) {
                // i is this endpoint's first candidate; its others are i + step, i + 2 step, ...
                for (int first = i; first < n; first += step * max) {
                    CandidateRequest batch = request(r, first, endpoints, temperature);
                    batch.choices = Math.min(max, (n - 1 - first) / step + 1);
                    batch.indexStep = step;
                    out.collect(batch);
                }
            }
        }
    }

    public static CandidateRequest request(Retrieval r, int i, List<String> endpoints, double temperature) {
        int hash = r.question.seed != null ? Long.hashCode(r.question.seed) : r.question.questionId.hashCode();
        CandidateRequest c = new CandidateRequest();
        c.retrieval = r;
        c.index = i;
        c.endpoint = endpoints.get(Math.floorMod(hash + i, endpoints.size()));
        c.temperature = Math.max(0.0, temperature + 0.1 * ((i % 3) - 1));
        c.seed = hash * 31L + i;
        return c;
    }
}
