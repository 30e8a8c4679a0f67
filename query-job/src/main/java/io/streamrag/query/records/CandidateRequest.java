package io.streamrag.query.records;

/** One sample to generate: which endpoint, which temperature and seed. */
public class CandidateRequest {
    public Retrieval retrieval;
    public int index;
    public String endpoint;
    public double temperature;
    public long seed;

    public CandidateRequest() {}
}
