package io.streamrag.ingest.io.files;

import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileStatus;
import org.apache.flink.core.fs.local.LocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.List;

/**
 * The files source's enumerator: one split per file below the backfill folder, as Flink's NonSplittingRecursiveEnumerator
 * made them (same ids, paths and hosts), but an entry it cannot list is skipped with a warning instead of failing the job.
 */
public class BackfillFileEnumerator extends NonSplittingRecursiveEnumerator {
    private static final Logger LOG = LoggerFactory.getLogger(BackfillFileEnumerator.class);

    public BackfillFileEnumerator() {
        super(path -> !isHidden(path.getName()));
    }

    @Override
    public Collection<FileSourceSplit> enumerateSplits(Path[] paths, int minDesiredSplits) throws IOException {
        ArrayList<FileSourceSplit> splits = new ArrayList<>();
        for (Path root : paths) {
            Listing listing = list(root);
            for (FileStatus file : listing.files()) {
                // Flink's own conversion: the split form stays what checkpoints of earlier runs hold.
                convertToSourceSplits(file, listing.fileSystem(), splits);
            }
        }
        return splits;
    }

    /** Hidden entries (".git", ".DS_Store") are left out; '_' is an ordinary first character here. */
    static boolean isHidden(String name) {
        return name.startsWith(".");
    }

    /** The files below a folder (or the file itself), and how many entries were skipped with a warning. */
    public record Listing(FileSystem fileSystem, List<FileStatus> files, int skipped) {}

    /**
     * What the files source reads of {@code root}: the one listing the enumerator and the count at submission share,
     * so the progress total matches the documents. Local folders are walked without following links to folders (a
     * link {@code loop -> .} would never end); every other entry that is not hidden is a file, even a dangling link or
     * one that cannot be read, which then becomes that document's dead letter at fetch. A folder that cannot be
     * listed, a link to a folder and a name the JVM cannot represent are skipped with a warning.
     *
     * @throws IOException when {@code root} itself does not exist (a misconfigured ingest.path fails the submission)
     */
    public static Listing list(Path root) throws IOException {
        Listing listing = "file".equals(root.toUri().getScheme()) ? listLocal(root) : listFileSystem(root);
        if (listing.skipped() > 0) {
            LOG.warn("Files source {}: {} files, {} entries skipped (see the warnings above)", root, listing.files().size(), listing.skipped());
        }
        return listing;
    }

    private static Listing listLocal(Path root) throws IOException {
        LocalFileSystem fs = LocalFileSystem.getSharedInstance();
        java.nio.file.Path start = Paths.get(root.toUri());
        List<FileStatus> files = new ArrayList<>();
        int skipped = 0;
        // The root is followed if it is a link: the user named it. Throws when it does not exist.
        if (!Files.readAttributes(start, BasicFileAttributes.class).isDirectory()) {
            return new Listing(fs, List.of(new LocalFileStatus(start.toFile(), fs)), 0);
        }
        Deque<java.nio.file.Path> folders = new ArrayDeque<>();
        folders.push(start);
        while (!folders.isEmpty()) {
            java.nio.file.Path folder = folders.pop();
            List<java.nio.file.Path> entries = new ArrayList<>();
            try (DirectoryStream<java.nio.file.Path> stream = Files.newDirectoryStream(folder)) {
                for (java.nio.file.Path p : stream) {
                    entries.add(p);
                }
            } catch (IOException | DirectoryIteratorException e) {
                // What was listed before the failure is still read.
                skipped += skip(folder, "cannot list the folder: " + e);
            }
            Collections.sort(entries);
            List<java.nio.file.Path> subfolders = new ArrayList<>();
            for (java.nio.file.Path p : entries) {
                java.nio.file.Path name = p.getFileName();
                if (isHidden(name.toString())) {
                    continue;
                }
                // A name whose bytes are not valid in sun.jnu.encoding decodes to U+FFFD: as a String (Flink's Path,
                // the event's uri) it names another file or none, and two such names would collide.
                if (!Paths.get(name.toString()).equals(name)) {
                    skipped += skip(p.toUri(), "its name is not valid in the JVM's file name encoding (sun.jnu.encoding="
                            + System.getProperty("sun.jnu.encoding") + ")");
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    skipped += skip(p, "cannot read its attributes: " + e); // removed while listed
                    continue;
                }
                if (attributes.isDirectory()) {
                    subfolders.add(p);
                } else if (attributes.isSymbolicLink() && Files.isDirectory(p)) {
                    skipped += skip(p, "links to folders are not followed");
                } else {
                    files.add(new LocalFileStatus(p.toFile(), fs));
                }
            }
            for (int i = subfolders.size() - 1; i >= 0; i--) {
                folders.push(subfolders.get(i)); // visited in name order
            }
        }
        return new Listing(fs, files, skipped);
    }

    /** Other file systems (s3://, hdfs://, ...): Flink's listing, where an entry it cannot list is skipped too. */
    private static Listing listFileSystem(Path root) throws IOException {
        FileSystem fs = root.getFileSystem();
        FileStatus status = fs.getFileStatus(root);
        if (!status.isDir()) {
            return new Listing(fs, List.of(status), 0);
        }
        List<FileStatus> files = new ArrayList<>();
        int skipped = 0;
        Deque<Path> folders = new ArrayDeque<>();
        folders.push(root);
        while (!folders.isEmpty()) {
            Path folder = folders.pop();
            FileStatus[] children;
            try {
                children = fs.listStatus(folder);
            } catch (IOException e) {
                skipped += skip(folder, "cannot list the folder: " + e);
                continue;
            }
            if (children == null) {
                skipped += skip(folder, "cannot list the folder");
                continue;
            }
            for (FileStatus child : children) {
                if (isHidden(child.getPath().getName())) {
                    continue;
                }
                if (child.isDir()) {
                    folders.push(child.getPath());
                } else {
                    files.add(child);
                }
            }
        }
        return new Listing(fs, files, skipped);
    }

    private static int skip(Object entry, String why) {
        LOG.warn("Files source: skipping {}: {}", entry, why);
        return 1;
    }
}
