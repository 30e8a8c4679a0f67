package io.streamrag.query.functions;

import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;
import io.streamrag.query.records.VoteInputs;

import org.apache.flink.api.common.functions.MapFunction;

/** Sends the retrieval summary (budget, deadline, retrieved chunks without text) to the vote. */
public class RetrievalToVoteInput implements MapFunction<Retrieval, VoteInput> {
    private static final long serialVersionUID = 1L;

    private final double maxWeight;

    public RetrievalToVoteInput(double maxWeight) {
        this.maxWeight = maxWeight;
    }

    @Override
    public VoteInput map(Retrieval r) {
        return VoteInputs.retrieval(r, maxWeight);
    }
}
