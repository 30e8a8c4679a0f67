package io.streamrag.query.vote;

import io.streamrag.query.records.CandidateResult;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Groups successful candidates by normalised answer and orders the groups with a deterministic tie-break. */
public final class VoteTally {

    /** One group of equivalent answers. */
    public static final class Group {
        public final String key;
        /** The answer as written by the group's lowest-index candidate. */
        public String display;
        public int count;
        public double weight;
        /** The group's lowest candidate index: the tie-break, the same in every run (arrival order is not). */
        public int firstIndex = Integer.MAX_VALUE;
        public final List<CandidateResult> members = new ArrayList<>();

        Group(String key) {
            this.key = key;
        }
    }

    /** Higher weight, then more votes, then the lower candidate index, then lexical order of the normalised answer. */
    public static final Comparator<Group> ORDER = Comparator.<Group>comparingDouble(g -> -g.weight)
            .thenComparingInt(g -> -g.count)
            .thenComparingInt(g -> g.firstIndex)
            .thenComparing(g -> g.key);

    private final List<Group> groups;
    private final double totalWeight;

    private VoteTally(List<Group> groups, double totalWeight) {
        this.groups = groups;
        this.totalWeight = totalWeight;
    }

    public static VoteTally of(List<CandidateResult> candidates) {
        return of(candidates, AnswerNormalizer::normalize);
    }

    /** The tally with each answer's normalised form from {@code keys}: for a caller that tallies at every arrival. */
    public static VoteTally of(List<CandidateResult> candidates, AnswerKeys keys) {
        return of(candidates, keys::of);
    }

    private static VoteTally of(List<CandidateResult> candidates, UnaryOperator<String> normalize) {
        Map<String, Group> byKey = new LinkedHashMap<>();
        double total = 0;
        for (CandidateResult c : candidates) {
            if (!c.ok()) {
                continue;
            }
            String key = normalize.apply(c.answer);
            if (key.isEmpty()) {
                continue;
            }
            Group g = byKey.computeIfAbsent(key, Group::new);
            if (c.index < g.firstIndex) {
                g.firstIndex = c.index;
                g.display = c.answer.strip();
            }
            g.count++;
            g.weight += c.weight;
            g.members.add(c);
            total += c.weight;
        }
        List<Group> groups = new ArrayList<>(byKey.values());
        groups.sort(ORDER);
        return new VoteTally(groups, total);
    }

    public List<Group> groups() {
        return groups;
    }

    public Group leader() {
        return groups.isEmpty() ? null : groups.get(0);
    }

    public double runnerUpWeight() {
        return groups.size() > 1 ? groups.get(1).weight : 0.0;
    }

    public double totalWeight() {
        return totalWeight;
    }

    /** True when {@code outstanding} more candidates of at most {@code maxWeight} each cannot change the leader. */
    public boolean settled(int outstanding, double maxWeight) {
        Group leader = leader();
        if (leader == null) {
            return false;
        }
        // Strict: an equal weight could win the tie-break, so it is not settled yet.
        return leader.weight > runnerUpWeight() + outstanding * maxWeight;
    }
}
