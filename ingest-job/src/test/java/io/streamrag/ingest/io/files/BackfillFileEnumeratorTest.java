package io.streamrag.ingest.io.files;

import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The files source's enumerator makes the splits Flink's made of an ordinary folder, so earlier checkpoints still fit. */
class BackfillFileEnumeratorTest {

    @TempDir
    java.nio.file.Path tmp;

    @Test
    void splitsOfAnOrdinaryFolderAreFlinksSplits() throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("my docs"));
        Files.createDirectories(root.resolve("sub dir/deeper"));
        Files.writeString(root.resolve("a.txt"), "a");
        Files.writeString(root.resolve("Handbuch für €.pdf"), "bb");
        Files.writeString(root.resolve("sub dir/part #2?.pdf"), "ccc");
        Files.writeString(root.resolve("sub dir/deeper/z.md"), "dddd");
        Files.writeString(root.resolve(".hidden"), "hidden");
        Path[] paths = {new Path(new java.io.File(root.toString()).getAbsoluteFile().toURI())}; // as IngestSources makes it

        Map<String, FileSourceSplit> flink = byPath(new NonSplittingRecursiveEnumerator().enumerateSplits(paths, 1));
        Collection<FileSourceSplit> ours = new BackfillFileEnumerator().enumerateSplits(paths, 1);

        assertThat(byPath(ours).keySet()).containsExactlyInAnyOrderElementsOf(flink.keySet()).hasSize(4);
        for (FileSourceSplit s : ours) {
            FileSourceSplit f = flink.get(s.path().toString());
            assertThat(s.path()).isEqualTo(f.path());
            assertThat(s.path().toUri()).isEqualTo(f.path().toUri());
            assertThat(new long[] {s.offset(), s.length(), s.fileModificationTime(), s.fileSize()})
                    .containsExactly(f.offset(), f.length(), f.fileModificationTime(), f.fileSize());
            assertThat(s.hostnames()).containsExactly(f.hostnames());
        }
        assertThat(ours.stream().map(FileSourceSplit::splitId)).containsExactlyInAnyOrderElementsOf(
                flink.values().stream().map(FileSourceSplit::splitId).collect(Collectors.toList()));
    }

    private static Map<String, FileSourceSplit> byPath(Collection<FileSourceSplit> splits) {
        return splits.stream().collect(Collectors.toMap(s -> s.path().toString(), Function.identity()));
    }

    @Test
    void aFileAsRootIsItsOwnSplit() throws Exception {
        java.nio.file.Path file = Files.writeString(tmp.resolve("guide.txt"), "hello");
        Path[] paths = {new Path(file.toUri())};

        FileSourceSplit[] flink = new NonSplittingRecursiveEnumerator().enumerateSplits(paths, 1).toArray(new FileSourceSplit[0]);
        FileSourceSplit[] ours = new BackfillFileEnumerator().enumerateSplits(paths, 1).toArray(new FileSourceSplit[0]);

        assertThat(ours).hasSize(1);
        assertThat(Arrays.asList(ours[0].splitId(), ours[0].path(), ours[0].fileSize()))
                .containsExactly(flink[0].splitId(), flink[0].path(), flink[0].fileSize());
    }
}
