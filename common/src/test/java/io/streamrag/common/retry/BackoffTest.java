package io.streamrag.common.retry;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

    @Test
    void delaysDoubleWithJitterUpToTheCap() {
        Backoff b = Backoff.of(Duration.ofMillis(100), Duration.ofMillis(1000));
        for (int i = 0; i < 50; i++) {
            assertThat(b.delayMs(0)).isBetween(50L, 100L);
            assertThat(b.delayMs(2)).isBetween(200L, 400L);
            assertThat(b.delayMs(20)).isBetween(500L, 1000L);
        }
    }

    @Test
    void retriesUntilItSucceeds() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger told = new AtomicInteger();
        String result = Backoff.of(Duration.ofMillis(2), Duration.ofMillis(4)).withMaxRetries(5).call(() -> {
            if (calls.incrementAndGet() < 4) {
                throw new IOException("down");
            }
            return "ok";
        }, e -> e instanceof IOException, (retry, delay, e) -> told.incrementAndGet());
        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(4);
        assertThat(told).hasValue(3);
    }

    @Test
    void givesUpAfterMaxRetriesOrOnAnotherError() {
        AtomicInteger calls = new AtomicInteger();
        Backoff b = Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2)).withMaxRetries(2);
        assertThatThrownBy(() -> b.call(() -> {
            calls.incrementAndGet();
            throw new IOException("down");
        }, e -> true, (r, d, e) -> {})).isInstanceOf(IOException.class);
        assertThat(calls).hasValue(3);

        calls.set(0);
        assertThatThrownBy(() -> b.call(() -> {
            calls.incrementAndGet();
            throw new IllegalArgumentException("bad request");
        }, e -> e instanceof IOException, (r, d, e) -> {})).isInstanceOf(IllegalArgumentException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void givesUpWhenTheNextWaitWouldOverrunTheBudget() {
        Backoff b = Backoff.of(Duration.ofMillis(20), Duration.ofMillis(40)).withBudget(Duration.ofMillis(150));
        long start = System.nanoTime();
        assertThatThrownBy(() -> b.call(() -> {
            throw new IOException("down");
        }, e -> true, (r, d, e) -> {})).isInstanceOf(IOException.class);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(ms).isBetween(60L, 1000L);
        assertThat(b.nextDelayMs(0, System.nanoTime() - 200_000_000L)).isEqualTo(-1);
        assertThat(b.nextDelayMs(0, System.nanoTime())).isBetween(10L, 20L);
    }

    @Test
    void retriesOnlyTheItemsLeftUntilNoneAreOrTheRetriesAreUsedUp() throws Exception {
        Map<String, Integer> rejectionsLeft = new HashMap<>(Map.of("a", 0, "b", 2, "c", 9));
        List<List<String>> rounds = new ArrayList<>();
        AtomicInteger told = new AtomicInteger();
        Backoff.Round<String> round = items -> {
            rounds.add(List.copyOf(items));
            return items.stream().filter(i -> rejectionsLeft.merge(i, -1, Integer::sum) >= 0).collect(Collectors.toList());
        };
        List<String> left = Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2)).withMaxRetries(3)
                .callRemaining(List.of("a", "b", "c"), round, (retry, delay, e) -> told.incrementAndGet());
        assertThat(left).containsExactly("c");
        assertThat(rounds).containsExactly(List.of("a", "b", "c"), List.of("b", "c"), List.of("b", "c"), List.of("c"));
        assertThat(told).hasValue(3);

        rejectionsLeft.put("b", 1);
        assertThat(Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2)).withMaxRetries(3)
                .callRemaining(List.of("a", "b"), round, (retry, delay, e) -> { })).isEmpty();
    }

    @Test
    void keepsTimeForTheLastCallSoWorkThatKeepsFailingEndsWithinTheBudget() {
        // Each call takes 100 ms before it fails, as a request up to its client's timeout does.
        Backoff b = Backoff.of(Duration.ofMillis(10), Duration.ofMillis(20)).withBudget(Duration.ofMillis(600))
                .withLastCall(Duration.ofMillis(100));
        AtomicInteger calls = new AtomicInteger();
        long start = System.nanoTime();
        assertThatThrownBy(() -> b.call(() -> {
            calls.incrementAndGet();
            Thread.sleep(100);
            throw new IOException("timed out");
        }, e -> true, (r, d, e) -> {})).isInstanceOf(IOException.class);
        long ms = (System.nanoTime() - start) / 1_000_000;
        // Without the reserve the last retry started up to 600 ms in and ended up to 100 ms past the budget (the upper
        // bound leaves a loaded machine's sleeps some room short of that).
        assertThat(ms).isBetween(400L, 690L);
        assertThat(calls.get()).isBetween(3, 5);

        assertThat(b.lastCallReserve()).isEqualTo(Duration.ofMillis(100));
        assertThat(b.nextDelayMs(0, System.nanoTime() - 500_000_000L)).isEqualTo(-1); // 500 + (5..10) + 100 > 600
        assertThat(b.nextDelayMs(0, System.nanoTime() - 300_000_000L)).isBetween(5L, 10L);
        // At most half the budget is kept, so a budget shorter than two calls still retries.
        Backoff shortBudget = b.withBudget(Duration.ofMillis(120));
        assertThat(shortBudget.lastCallReserve()).isEqualTo(Duration.ofMillis(60));
        assertThat(shortBudget.nextDelayMs(0, System.nanoTime())).isBetween(5L, 10L);
        assertThat(Backoff.of(Duration.ofMillis(10), Duration.ofMillis(20)).withLastCall(Duration.ofSeconds(1)).nextDelayMs(50, 0))
                .as("unbounded: no budget to keep time in").isBetween(10L, 20L);
    }

    @Test
    void callsMadeThroughOneDeadlineShareOneBudget() throws Exception {
        Backoff b = Backoff.of(Duration.ofMillis(10), Duration.ofMillis(20)).withBudget(Duration.ofMillis(500));
        Backoff.Deadline deadline = b.start();
        long start = System.nanoTime();
        // A first request that is retried for 300 ms, then succeeds...
        AtomicInteger calls = new AtomicInteger();
        assertThat(deadline.call(() -> {
            if ((System.nanoTime() - start) / 1_000_000 < 300) {
                calls.incrementAndGet();
                throw new IOException("down");
            }
            return "ok";
        }, e -> true, (r, d, e) -> {})).isEqualTo("ok");
        assertThat(calls.get()).isGreaterThan(3);
        // ...leaves the next one what is left of the budget, not a budget of its own.
        assertThatThrownBy(() -> deadline.call(() -> {
            throw new IOException("down again");
        }, e -> true, (r, d, e) -> {})).hasMessage("down again");
        long ms = (System.nanoTime() - start) / 1_000_000;
        // A budget of its own would have run to ~800 ms; the upper bound leaves room for a loaded machine's sleeps.
        assertThat(ms).isBetween(450L, 750L);
        assertThat(deadline.elapsedMs()).isGreaterThanOrEqualTo(450L);
        assertThat(deadline.budget()).isEqualTo(Duration.ofMillis(500));

        // Item rounds through the same deadline once the budget is spent (the last call may have ended just short of
        // it): what is left after one round is handed back.
        while (deadline.elapsedMs() < deadline.budget().toMillis()) {
            Thread.sleep(5);
        }
        List<List<String>> rounds = new ArrayList<>();
        assertThat(deadline.callRemaining(List.of("a", "b"), items -> {
            rounds.add(items);
            return List.of("b");
        }, (r, d, e) -> {})).containsExactly("b");
        assertThat(rounds).hasSize(1);
        // A call after the budget is spent still runs once.
        assertThat(deadline.call(() -> "late", e -> true, (r, d, e) -> {})).isEqualTo("late");
    }
}
