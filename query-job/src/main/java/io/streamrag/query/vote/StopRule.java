package io.streamrag.query.vote;

/**
 * Which rule ends adaptive sampling. Both stop at once when the leader can no longer be overtaken.
 * <ul>
 *   <li>{@link #BETA}: the leader beats the runner-up with posterior probability at least the threshold under
 *       Beta(1+a, 1+b) ({@link StoppingRule}); the rule before issue 13.</li>
 *   <li>{@link #LEAD}: the leader is ahead of the runner-up by at least {@code lead} votes. This is Wald's
 *       sequential probability ratio test of leader against runner-up: the log-likelihood ratio of "leader is the
 *       likelier answer" grows by one step per vote for it and falls by one per vote for the runner-up, so a fixed
 *       lead is a fixed ratio. If the right answer is drawn ρ times as often as one wrong answer, that wrong answer
 *       ever leads by {@code lead} first with probability 1/(1+ρ^lead) (gambler's ruin), whatever p is.</li>
 * </ul>
 */
public enum StopRule {
    BETA,
    LEAD;

    /**
     * @param leader votes of the leading answer
     * @param runnerUp votes of the second answer (0 if none)
     * @param remaining candidates not yet asked for
     * @param threshold BETA's posterior threshold
     * @param lead LEAD's margin in votes
     */
    public boolean shouldStop(int leader, int runnerUp, int remaining, double threshold, int lead) {
        switch (this) {
            case LEAD:
                return leadReached(leader, runnerUp, remaining, lead);
            case BETA:
            default:
                return StoppingRule.shouldStop(leader, runnerUp, remaining, threshold);
        }
    }

    /** LEAD's test: no votes yet stops only when nothing remains; otherwise lead reached or leader out of reach. */
    static boolean leadReached(int leader, int runnerUp, int remaining, int lead) {
        if (leader == 0) {
            return remaining <= 0;
        }
        return leader > runnerUp + remaining || leader - runnerUp >= lead;
    }
}
