package io.streamrag.query.records;

import java.util.ArrayList;
import java.util.List;

/** The question with its top-k chunks (best first), or the reason retrieval failed. */
public class Retrieval {
    public QuestionTask question;
    public List<RetrievedChunk> chunks = new ArrayList<>();
    public long retrievalMs;
    public String error;

    public Retrieval() {}
}
