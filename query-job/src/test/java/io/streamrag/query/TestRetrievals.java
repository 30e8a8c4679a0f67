package io.streamrag.query;

import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.records.Retrieval;

/** The retrieval generate and vote tests start from: the admin-port question with its one supporting chunk. */
public final class TestRetrievals {

    private TestRetrievals() {}

    /** The admin-port question as {@code id}, asking for {@code n} candidates within {@code deadlineMs} of now. */
    public static Retrieval adminPort(String id, int n, long deadlineMs) {
        QuestionTask q = new QuestionTask();
        q.questionId = id;
        q.tenant = "acme";
        q.text = "Which port does the admin UI use?";
        q.strategy = "RAG";
        q.n = n;
        q.k = 1;
        q.deadlineMs = deadlineMs;
        q.receivedAtMs = System.currentTimeMillis();
        RetrievedChunk c = new RetrievedChunk();
        c.chunkId = "manual-42:1:0";
        c.documentId = "manual-42";
        c.page = 17;
        c.kind = "text";
        c.title = "manual-42";
        c.text = TestChunks.ADMIN_PORT[3];
        c.score = 1.0;
        Retrieval r = new Retrieval();
        r.question = q;
        r.chunks.add(c);
        return r;
    }
}
