package io.streamrag.query.functions;

import io.streamrag.query.generate.CandidateGenerator;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.Generators;
import io.streamrag.query.metrics.GenerationMetrics;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.VoteInput;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Generates one candidate (the whole strategy) on its endpoint's bounded pool; failures and timeouts come out as
 * ERROR/TIMEOUT candidates so the vote always hears about every sample.
 */
public class AsyncGenerate extends RichAsyncFunction<CandidateRequest, VoteInput> {
    private static final long serialVersionUID = 1L;

    private final Configuration conf;
    private final double maxWeight;
    private transient CandidateGenerator generator;
    private transient Generators.LazyRetriever retriever;
    private transient GenerationMetrics metrics;

    public AsyncGenerate(Configuration conf, List<EndpointSpec> endpoints) {
        this.conf = conf;
        this.maxWeight = EndpointSpec.maxWeight(endpoints);
    }

    @Override
    public void open(OpenContext context) {
        metrics = new GenerationMetrics(getRuntimeContext().getMetricGroup());
        retriever = Generators.lazyRetriever(conf);
        generator = Generators.create(conf, metrics, retriever);
    }

    @Override
    public void asyncInvoke(CandidateRequest request, ResultFuture<VoteInput> resultFuture) {
        if (request.choices > 1) {
            invokeChoices(request, resultFuture);
            return;
        }
        metrics.issued(request.endpoint);
        generator.generate(request).thenAccept(r -> {
            metrics.completed(r);
            resultFuture.complete(Collections.singleton(
                    VoteInputs.candidates(request.retrieval.question, maxWeight, List.of(r))));
        });
    }

    /** Several candidates in one request (OpenAI's n): one vote input with all of them. */
    private void invokeChoices(CandidateRequest request, ResultFuture<VoteInput> resultFuture) {
        for (int j = 0; j < request.choices; j++) {
            metrics.issued(request.endpoint);
        }
        generator.generateAll(request).thenAccept(results -> {
            results.forEach(metrics::completed);
            resultFuture.complete(Collections.singleton(
                    VoteInputs.candidates(request.retrieval.question, maxWeight, results)));
        });
    }

    @Override
    public void timeout(CandidateRequest request, ResultFuture<VoteInput> resultFuture) {
        if (request.choices > 1) {
            List<CandidateResult> timedOut = new ArrayList<>();
            for (CandidateRequest m : CandidateGenerator.members(request)) {
                timedOut.add(CandidateGenerator.failed(m, generator.endpoint(m.endpoint), CandidateResult.TIMEOUT,
                        "operator timeout", 0, 0));
            }
            timedOut.forEach(metrics::completed);
            resultFuture.complete(Collections.singleton(
                    VoteInputs.candidates(request.retrieval.question, maxWeight, timedOut)));
            return;
        }
        CandidateResult r = CandidateGenerator.failed(request, generator.endpoint(request.endpoint),
                CandidateResult.TIMEOUT, "operator timeout", 0, 0);
        metrics.completed(r);
        resultFuture.complete(Collections.singleton(
                VoteInputs.candidates(request.retrieval.question, maxWeight, List.of(r))));
    }

    @Override
    public void close() throws Exception {
        if (generator != null) {
            generator.close();
        }
        if (retriever != null) {
            retriever.close();
        }
    }
}
