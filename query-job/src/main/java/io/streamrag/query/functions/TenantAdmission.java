package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Identity;
import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.common.tenancy.TenantRateLimiter;
import io.streamrag.common.tenancy.TenantRateMetrics;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.vote.Answers;

import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.OutputTag;

/**
 * Each tenant's rate of candidates ({@code query.tenant.candidate-rate}, a question costing its n) in front of retrieval
 * and generation, whose capacity every tenant shares: a flood of one tenant's questions (n=32, hour-long deadlines)
 * waits in its own queue, not in front of the others. A question still waiting at its deadline, or arriving to a full
 * queue ({@code query.tenant.max-waiting}, or {@code max-waiting-bytes} of text), or that would take all tenants'
 * waiting questions on its subtask past {@code max-waiting-total} or {@code max-waiting-bytes-total}, is answered
 * FAILED on {@link #REFUSED}.
 */
public class TenantAdmission extends TenantRateLimiter<QuestionTask> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Answer> REFUSED = new OutputTag<>("tenant-refused") {};

    public TenantAdmission(TenantRate rate) {
        super(rate, QuestionTask.class);
    }

    @Override
    protected TenantRateMetrics.Unit unit() {
        return TenantRateMetrics.QUESTIONS;
    }

    @Override
    protected int cost(QuestionTask q) {
        return Math.max(1, q.n);
    }

    /** Its text and ids in UTF-8 bytes: all of a waiting question that can be large (the rest is a few numbers). */
    @Override
    protected long bytes(QuestionTask q) {
        return (long) Identity.utf8Length(q.text) + Identity.utf8Length(q.questionId) + Identity.utf8Length(q.tenant)
                + Identity.utf8Length(q.strategy);
    }

    @Override
    protected long deadlineAtMs(QuestionTask q) {
        return q.deadlineAtMs();
    }

    @Override
    protected void refuse(QuestionTask q, Context ctx, Refusal why, int waiting) {
        String reason = switch (why) {
            case PAST_DEADLINE -> "tenant over its rate: the question waited past its deadline behind its tenant's earlier "
                    + "questions (" + QueryOptions.TENANT_CANDIDATE_RATE.key() + "=" + rate.perSecond() + ")";
            case QUEUE_TOO_LARGE -> "tenant over its rate: " + waiting + " of its questions already wait with their text ("
                    + QueryOptions.TENANT_MAX_WAITING_BYTES.key() + "=" + new MemorySize(rate.maxWaitingBytes()) + ")";
            case ALL_QUEUES_FULL -> "tenant over its rate: " + waiting + " questions of all tenants already wait on this "
                    + "subtask (" + QueryOptions.TENANT_MAX_WAITING_TOTAL.key() + "=" + rate.maxWaitingTotal() + ")";
            case ALL_QUEUES_TOO_LARGE -> "tenant over its rate: " + waiting + " questions of all tenants already wait on "
                    + "this subtask with their text (" + QueryOptions.TENANT_MAX_WAITING_BYTES_TOTAL.key() + "="
                    + new MemorySize(rate.maxWaitingBytesTotal()) + ")";
            default -> "tenant over its rate: " + waiting + " of its questions already wait ("
                    + QueryOptions.TENANT_MAX_WAITING.key() + "=" + rate.maxWaiting() + ")";
        };
        Answer a = Answers.failed(q.questionId, q.tenant, q.strategy, reason, q.receivedAtMs);
        a.plan = q.plan;
        ctx.output(REFUSED, a);
    }
}
