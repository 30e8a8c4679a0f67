package io.streamrag.query.records;

/** One sample (or, with {@code choices > 1}, several in one request) to generate: endpoint, temperature, seed. */
public class CandidateRequest {
    public Retrieval retrieval;
    public int index;
    public String endpoint;
    public double temperature;
    public long seed;
    /**
     * Candidates this request stands for (OpenAI's {@code n}): indices {@code index + j * indexStep} for
     * {@code j < choices}. 1 for an ordinary one-sample request.
     */
    public int choices = 1;
    public int indexStep = 1;

    public CandidateRequest() {}
}
