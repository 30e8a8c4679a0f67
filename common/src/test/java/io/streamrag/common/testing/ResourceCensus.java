package io.streamrag.common.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What the JVM holds that an operator's {@code close()} must give back: live threads, open file descriptors, child
 * processes, and the sizes of static holders a test names. A leak test takes one census, opens and closes an operator
 * many times, and awaits a census that holds nothing new. Threads, descriptors and processes are told apart one by
 * one (a descriptor by its number and what it points to), so leftovers of an earlier test that end meanwhile cannot
 * hide new ones; what is new is reported by kind (a thread's name, a descriptor's target, without their numbers).
 */
public final class ResourceCensus {

    /**
     * New file descriptors allowed: class loading and logging open jars and files lazily. A leak of one descriptor per
     * cycle over a test's cycles is well above it.
     */
    public static final int FD_SLACK = 4;

    /** Live threads: the thread, its kind. */
    private final Map<Thread, String> threads;
    /** Open descriptors as number and target ({@code 12 -> socket:[4711]}). */
    private final Set<String> fds;
    private final Set<Long> children;
    public final Map<String, Integer> holders;
    /** The threads counted: not the test's own fixtures (a server's pool filling up to its size). */
    private final Predicate<Thread> counted;
    /** Ports of the test's own in-process servers: the sockets they accept are theirs, like their threads. */
    private final Set<Integer> fixturePorts;

    private ResourceCensus(Map<Thread, String> threads, Set<String> fds, Set<Long> children, Map<String, Integer> holders,
                           Predicate<Thread> counted, Set<Integer> fixturePorts) {
        this.threads = threads;
        this.fds = fds;
        this.children = children;
        this.holders = holders;
        this.counted = counted;
        this.fixturePorts = fixturePorts;
    }

    /** The census now; {@code holders} gives the static holder sizes by name (may be empty). */
    public static ResourceCensus take(Supplier<Map<String, Integer>> holders) {
        return take(holders, t -> true);
    }

    /**
     * The census now, not counting the threads of an in-process test server ({@code ignoredThreads}, its pool filling
     * up to its size) nor the sockets it accepts on {@code fixturePorts}: how soon a server closes its side of a
     * connection the client closed is the server's business, not the client's leak.
     */
    public static ResourceCensus take(Supplier<Map<String, Integer>> holders, Set<String> ignoredThreads,
                                      Set<Integer> fixturePorts) {
        return take(holders, t -> !ignoredThreads.contains(kind(t.getName())), fixturePorts);
    }

    /** The census now, counting only the threads {@code counted} accepts. */
    public static ResourceCensus take(Supplier<Map<String, Integer>> holders, Predicate<Thread> counted) {
        return take(holders, counted, Set.of());
    }

    private static ResourceCensus take(Supplier<Map<String, Integer>> holders, Predicate<Thread> counted,
                                       Set<Integer> fixturePorts) {
        Map<Thread, String> threads = Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .filter(counted)
                .collect(Collectors.toMap(t -> t, t -> kind(t.getName())));
        Set<Long> children = ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
        return new ResourceCensus(threads, fds(fixturePorts), children, new TreeMap<>(holders.get()), counted,
                fixturePorts);
    }

    private static Set<String> fds(Set<Integer> fixturePorts) {
        Set<String> fds = new HashSet<>();
        String[] numbers = new File("/proc/self/fd").list();
        if (numbers == null) {
            return fds;
        }
        Map<String, TcpSocket> tcp = null;
        for (String n : numbers) {
            try {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd", n)).toString();
                if (target.startsWith("socket:[")) {
                    tcp = tcp == null ? TcpSocket.table() : tcp;
                    TcpSocket s = tcp.get(target.substring(8, target.length() - 1));
                    if (s != null && fixturePorts.contains(s.localPort)) {
                        continue; // the fixture server's listener or a connection it accepted
                    }
                    target = target + " " + (s == null ? TcpSocket.otherKind(target.substring(8, target.length() - 1))
                            : s.describe(tcp.values()));
                }
                fds.add(n + " -> " + target);
            } catch (IOException e) {
                // closed since the listing (or the listing's own descriptor)
            }
        }
        return fds;
    }

    /**
     * A TCP socket of this process as {@code /proc/net/tcp} tells it: a leak report names its side (accepted by a
     * listening port of this JVM, e.g. a test's own server, or connected out) and state ({@code CLOSE_WAIT}: the peer
     * hung up and this side never closed).
     */
    private record TcpSocket(int localPort, int remotePort, String state) {
        private static final String[] STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
                "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};

        /** The sockets of {@code /proc/net/tcp} and {@code tcp6} by inode (empty where unreadable). */
        static Map<String, TcpSocket> table() {
            Map<String, TcpSocket> byInode = new HashMap<>();
            for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                try {
                    for (String line : Files.readAllLines(Path.of(file))) {
                        String[] f = line.trim().split("\\s+");
                        if (f.length < 10 || !f[1].contains(":")) {
                            continue; // the header
                        }
                        int state = Integer.parseInt(f[3], 16);
                        byInode.put(f[9], new TcpSocket(port(f[1]), port(f[2]),
                                state < STATES.length ? STATES[state] : f[3]));
                    }
                } catch (IOException | RuntimeException e) {
                    // not on Linux, or no IPv6: sockets are reported by inode only
                }
            }
            return byInode;
        }

        /**
         * What a socket missing from the TCP tables is: {@code unix}, {@code udp} or {@code netlink}, else
         * {@code unbound} (e.g. a TCP socket opened but never bound or connected). Read only for a leak's report.
         */
        static String otherKind(String inode) {
            Map<String, Integer> inodeColumn = Map.of("/proc/net/unix", 6, "/proc/net/udp", 9, "/proc/net/udp6", 9,
                    "/proc/net/netlink", 9);
            for (Map.Entry<String, Integer> table : inodeColumn.entrySet()) {
                try {
                    for (String line : Files.readAllLines(Path.of(table.getKey()))) {
                        String[] f = line.trim().split("\\s+");
                        if (f.length > table.getValue() && f[table.getValue()].equals(inode)) {
                            return table.getKey().substring("/proc/net/".length()).replace("6", "");
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // not on Linux
                }
            }
            return "unbound";
        }

        private static int port(String address) {
            return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
        }

        String describe(Collection<TcpSocket> all) {
            if (state.equals("LISTEN")) {
                return "tcp listening";
            }
            boolean accepted = all.stream().anyMatch(s -> s.state.equals("LISTEN") && s.localPort == localPort);
            return "tcp " + (accepted ? "accepted " : "connected ") + state;
        }
    }

    /** A thread's name or a descriptor's target without its numbers: the threads of one pool are one kind. */
    static String kind(String name) {
        return name.replaceAll("\\d+", "#");
    }

    /** What this census holds that {@code baseline} did not, by kind; empty if nothing. */
    public String growthOver(ResourceCensus baseline) {
        StringBuilder growth = new StringBuilder();
        Map<String, Long> newThreads = threads.entrySet().stream()
                .filter(e -> !baseline.threads.containsKey(e.getKey()))
                .collect(Collectors.groupingBy(Map.Entry::getValue, TreeMap::new, Collectors.counting()));
        newThreads.forEach((kind, n) -> growth.append(n).append(" new threads '").append(kind).append("'; "));
        Set<String> newFds = new HashSet<>(fds);
        newFds.removeAll(baseline.fds);
        if (newFds.size() > FD_SLACK) {
            Map<String, Long> byTarget = newFds.stream().map(fd -> kind(fd.substring(fd.indexOf(" -> ") + 4)))
                    .collect(Collectors.groupingBy(k -> k, TreeMap::new, Collectors.counting()));
            growth.append(newFds.size()).append(" new file descriptors ").append(byTarget).append("; ");
        }
        long newChildren = children.stream().filter(pid -> !baseline.children.contains(pid)).count();
        if (newChildren > 0) {
            growth.append(newChildren).append(" new child processes; ");
        }
        holders.forEach((name, n) -> {
            int before = baseline.holders.getOrDefault(name, 0);
            if (n > before) {
                growth.append(name).append(": ").append(before).append(" -> ").append(n).append("; ");
            }
        });
        return growth.toString();
    }

    /**
     * Waits (at most {@code timeout}: closed pools and killed processes take a moment to end) for a census that holds
     * nothing new over {@code baseline}; fails with what is still held. Never runs the garbage collector: what only a
     * collection would free is what a TaskManager piles up between collections.
     */
    public static void awaitBaseline(ResourceCensus baseline, Supplier<Map<String, Integer>> holders, Duration timeout)
            throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        String growth;
        while (!(growth = take(holders, baseline.counted, baseline.fixturePorts).growthOver(baseline)).isEmpty()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("Still held " + timeout.toSeconds() + " s after the last close: " + growth);
            }
            Thread.sleep(20);
        }
    }
}
