package dev.pgbroadcaster.journal;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A PostgreSQL snapshot ({@code pg_current_snapshot()}, text form {@code xmin:xmax:xip,...}): which transactions
 * had ended, as far as one read of the journal could see. Every transaction below {@code xmax} that is not in
 * {@code inProgress} had ended: its rows were all visible to that read, and none can appear later. The others
 * may still write rows, which later reads must look for.
 *
 * @param xmin the oldest transaction still running
 * @param xmax the first transaction not yet started
 * @param inProgress the transactions from xmin to xmax still running, in ascending order
 */
record Snapshot(long xmin, long xmax, long[] inProgress) {

    /**
     * Reads the text form of a {@code pg_snapshot}.
     * @throws IllegalArgumentException if it is not one
     */
    static Snapshot parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a snapshot: " + text);
        }
        long[] inProgress = parts[2].isEmpty() ? new long[0]
                : Arrays.stream(parts[2].split(",")).mapToLong(Long::parseLong).sorted().toArray();
        return new Snapshot(Long.parseLong(parts[0]), Long.parseLong(parts[1]), inProgress);
    }

    /**
     * Returns whether the rows of transaction {@code xid} were all visible to the read that took this snapshot.
     */
    boolean settled(long xid) {
        return xid < this.xmin || (xid < this.xmax && Arrays.binarySearch(this.inProgress, xid) < 0);
    }

    /**
     * Returns whether no transaction was running.
     */
    boolean quiet() {
        return this.inProgress.length == 0;
    }

    /**
     * Returns the running transactions as the text of an SQL array, for {@code ?::text::xid8[]}.
     */
    String inProgressArray() {
        return Arrays.stream(this.inProgress).mapToObj(Long::toString).collect(Collectors.joining(",", "{", "}"));
    }

    @Override
    public String toString() {
        return this.xmin + ":" + this.xmax + ":"
                + Arrays.stream(this.inProgress).mapToObj(Long::toString).collect(Collectors.joining(","));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Snapshot snapshot && snapshot.xmin == this.xmin && snapshot.xmax == this.xmax
                && Arrays.equals(snapshot.inProgress, this.inProgress);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(this.xmin) * 31 + Long.hashCode(this.xmax);
    }

}
