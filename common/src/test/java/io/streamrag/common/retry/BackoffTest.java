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
}
