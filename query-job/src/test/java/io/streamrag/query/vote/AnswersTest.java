package io.streamrag.query.vote;

import io.streamrag.common.records.Answer;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.VoteState;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The error texts of answers that are not ANSWERED stay byte for byte what docs/CONTRACT.md and users match on. */
class AnswersTest {

    @Test
    void reasonTextsAreTheContractsWords() {
        assertThat(FailureReason.INVALID_QUESTION.because("missing tenant")).isEqualTo("invalid question: missing tenant");
        assertThat(FailureReason.EXPIRED_BEFORE_READ.with(" (it waited 5 ms)"))
                .isEqualTo("deadline passed before the question was read (it waited 5 ms)");
        assertThat(FailureReason.RETRIEVAL_UNAVAILABLE.because("Connection refused"))
                .isEqualTo("retrieval unavailable: Connection refused");
    }

    @Test
    void noContextNamesTheTenant() {
        QuestionTask q = new QuestionTask();
        q.questionId = "q1";
        q.tenant = "acme";
        q.strategy = "RAG";
        q.receivedAtMs = System.currentTimeMillis();
        Answer a = Answers.noContext(q, 12);
        assertThat(a.status).isEqualTo(Answer.Status.NO_CONTEXT);
        assertThat(a.error).isEqualTo("nothing retrieved for tenant acme");
        assertThat(a.latencyMs).containsEntry("retrieval", 12L);
    }

    @Test
    void failedVoteSaysWhyWithTheFirstCandidateError() {
        CandidateResult c = new CandidateResult();
        c.questionId = "q2";
        c.endpoint = "local";
        c.status = Status.ERROR.name();
        c.error = "HTTP 500";
        VoteState st = new VoteState();
        st.questionId = "q2";
        st.tenant = "acme";
        st.expected = 1;
        st.receivedAtMs = System.currentTimeMillis();
        st.candidates.add(c);

        Answer early = Answers.fromVote(st, VoteTally.of(List.of(c)), false, System.currentTimeMillis());
        Answer late = Answers.fromVote(st, VoteTally.of(List.of(c)), true, System.currentTimeMillis());

        assertThat(early.status).isEqualTo(Answer.Status.FAILED);
        assertThat(early.error).isEqualTo("no candidate succeeded (e.g. local: HTTP 500)");
        assertThat(late.error).isEqualTo("deadline passed with no successful candidate (e.g. local: HTTP 500)");
    }
}
