package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.PosixModel.Node;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Model-based test: random chains of namespace, data, attribute and xattr operations, clean
 * remounts and crash remounts run against daxfs and against {@link PosixModel}; after every
 * step the whole observable tree (names, types, modes, link counts, owners, device numbers,
 * sizes, contents, symlink targets, xattrs, inode identity, and the access and modification
 * times wherever the model knows them: set explicitly by utimens and not changed since) must
 * equal the model's, and every error must be the errno the model predicts. Tries: system
 * property {@code daxfs.model.tries} (default 500).
 */
class FsModelProperties {

  /** Names drawn from a small pool, so that operations collide. */
  private static final List<String> NAMES = List.of("a", "b", "c", "d", "e");

  private static final List<String> XATTRS = List.of("user.a", "user.b", "trusted.c",
      "security.d");

  private static final int P = 4096;

  /** Owners chown picks from: root, two users, nobody. */
  private static final List<Integer> IDS = List.of(0, 1000, 1001, 65534);

  @Property(tries = 500)
  @AddLifecycleHook(ModelTries.class)
  void daxfsBehavesLikeThePosixModel(@ForAll("chains") ActionChain<FsState> chain) {
    FsState end = chain.withInvariant("tree equals model", FsState::check).run();
    end.finish();
  }

  @Provide
  Arbitrary<ActionChain<FsState>> chains() {
    return ActionChain.<FsState>startWith(FsState::new)
        .withAction(4, new Create())
        .withAction(2, new Mkdir())
        .withAction(5, new Write())
        .withAction(2, new Truncate())
        .withAction(3, new Fallocate())
        .withAction(2, new Link())
        .withAction(2, new Unlink())
        .withAction(2, new Rmdir())
        .withAction(4, new Rename())
        .withAction(1, new Symlink())
        .withAction(1, new Chmod())
        .withAction(1, new Chown())
        .withAction(2, new Utimens())
        .withAction(1, new Readlink())
        .withAction(2, new SetXattr())
        .withAction(1, new RemoveXattr())
        .withAction(1, new OpenUnlink())
        .withAction(1, new CloseHandle())
        .withAction(1, Action.just("clean remount", Transformer.mutate("clean remount",
            FsState::cleanRemount)))
        .withAction(1, Action.just("crash remount", Transformer.mutate("crash remount",
            FsState::crashRemount)))
        .withMaxTransformations(32);
  }

  // ---- the system under test and its model -------------------------------------------------

  /** daxfs on a heap region, the model, and the handles of unlinked open files. */
  static final class FsState {
    final HeapRegion region = formatted(16);
    DaxFs fs = mount(region);
    final PosixModel model = new PosixModel(0755);
    /** Open handles and the node each keeps alive. */
    final List<Object[]> handles = new ArrayList<>();
    /** Inode numbers seen for model nodes: identity must hold across steps and remounts. */
    final Map<Node, Long> inos = new java.util.IdentityHashMap<>();

    @Override
    public String toString() {
      return "FsState" + model.paths();
    }

    long ino(String path) {
      return fs.resolve(ROOT, path, false).ino();
    }

    /** Runs {@code op}, expecting failure with {@code expected} or success when it is null. */
    void expect(Errno expected, Errno alternative, Runnable op, String what) {
      try {
        op.run();
      } catch (ErrnoException e) {
        if (expected == null) {
          fail(what + ": unexpected " + e.getMessage());
        }
        if (e.errno() != expected && e.errno() != alternative) {
          fail(what + ": expected " + expected + " but got " + e.getMessage());
        }
        return;
      }
      if (expected != null) {
        fail(what + ": expected " + expected + " but it succeeded");
      }
    }

    void cleanRemount() {
      long free = fs.statfs().freeBlocks();
      boolean open = !handles.isEmpty();
      Map<String, String> before = snapshot(fs);
      fs.unmount();
      handles.clear();
      fs = mount(region);
      assertTrue(fs.mountReport().clean(), fs.mountReport().reason());
      assertEquals(before, snapshot(fs), "every attribute, time included, survives");
      if (!open) {
        assertEquals(free, fs.statfs().freeBlocks(), "free blocks across a clean remount");
      }
    }

    void crashRemount() {
      long free = fs.statfs().freeBlocks();
      boolean open = !handles.isEmpty();
      Map<String, String> before = snapshot(fs);
      handles.clear();
      fs = mount(region);
      assertFalse(fs.mountReport().clean());
      assertEquals(before, snapshot(fs), "every attribute, time included, survives");
      if (!open) {
        assertEquals(free, fs.statfs().freeBlocks(), "free blocks across a crash remount");
      }
    }

    /** The whole tree equals the model. */
    void check() {
      Map<Node, Integer> links = model.linkCounts();
      Map<Long, Node> seen = new HashMap<>();
      checkDir("/", model.root, fs.rootIno(), links, seen);
      for (Object[] oh : handles) {
        FileHandle h = (FileHandle) oh[0];
        Node n = (Node) oh[1];
        Attr a = fs.getattr(h.ino());
        assertEquals(links.getOrDefault(n, 0), a.nlink(), "links of open " + n);
        assertArrayEquals(n.data, readAll(h, n.data.length + 10), "content of open " + n);
        n.atime = null; // read without O_NOATIME: relatime may have moved it
      }
    }

    private byte[] readAll(FileHandle h, int len) {
      ByteBuffer b = ByteBuffer.allocate(len);
      while (b.hasRemaining()) {
        if (fs.read(h, b.position(), b) == 0) {
          break;
        }
      }
      return Arrays.copyOf(b.array(), b.position());
    }

    private void checkDir(String path, Node d, long ino, Map<Node, Integer> links,
        Map<Long, Node> seen) {
      checkNode(path, d, ino, links, seen);
      Map<String, DirEntry> real = list(fs, ino);
      assertEquals(d.children.keySet(), real.keySet(), "entries of " + path);
      assertEquals(d.parent == d ? ino : inos.get(d.parent),
          fs.lookup(ROOT, ino, Name.of("..")).ino(), ".. of " + path);
      for (Map.Entry<String, Node> e : d.children.entrySet()) {
        String child = PosixModel.join(path, e.getKey());
        DirEntry de = real.get(e.getKey());
        Node n = e.getValue();
        assertEquals(n.type >>> 12, de.type(), "d_type of " + child);
        if (n.isDir()) {
          checkDir(child, n, de.ino(), links, seen);
        } else {
          checkNode(child, n, de.ino(), links, seen);
        }
      }
    }

    private void checkNode(String path, Node n, long ino, Map<Node, Integer> links,
        Map<Long, Node> seen) {
      Long known = inos.putIfAbsent(n, ino);
      if (known != null) {
        assertEquals(known.longValue(), ino, "inode number of " + path + " changed");
      }
      Node other = seen.putIfAbsent(ino, n);
      assertTrue(other == null || other == n, path + " shares inode " + ino + " with " + other);
      Attr a = fs.getattr(ino);
      assertEquals(n.type | n.perms, a.mode(), "mode of " + path);
      assertEquals(n.uid, a.uid(), "owner of " + path);
      assertEquals(n.gid, a.gid(), "group of " + path);
      assertEquals(n.rdev, a.rdev(), "device number of " + path);
      if (n.atime != null) {
        assertEquals(n.atime.longValue(), a.atime(), "atime of " + path);
      }
      if (n.mtime != null) {
        assertEquals(n.mtime.longValue(), a.mtime(), "mtime of " + path);
      }
      int nlink = n.isDir() ? PosixModel.dirLinks(n) : links.get(n);
      assertEquals(nlink, a.nlink(), "links of " + path);
      if (n.isRegular()) {
        assertEquals(n.data.length, a.size(), "size of " + path);
        byte[] c = content(fs, ino);
        if (!Arrays.equals(n.data, c)) {
          int i = Arrays.mismatch(n.data, c);
          fail("content of " + path + " differs at byte " + i + ": expected "
              + (i < n.data.length ? n.data[i] : "EOF") + " but was "
              + (i < c.length ? c[i] : "EOF"));
        }
      } else if (n.isSymlink()) {
        assertEquals(n.target, new String(fs.readlink(ROOT, ino), StandardCharsets.UTF_8),
            "target of " + path);
        assertEquals(n.target.length(), a.size(), "size of " + path);
      }
      Map<String, byte[]> xs = new TreeMap<>();
      for (String x : fs.listxattr(ROOT, ino)) {
        xs.put(x, fs.getxattr(ROOT, ino, x));
      }
      assertEquals(n.xattrs.keySet(), xs.keySet(), "xattr names of " + path);
      for (String x : n.xattrs.keySet()) {
        assertArrayEquals(n.xattrs.get(x), xs.get(x), "xattr " + x + " of " + path);
      }
    }

    /** At the end of a chain: close what is open and check that no block leaked. */
    void finish() {
      for (Object[] oh : handles) {
        fs.release((FileHandle) oh[0]);
      }
      handles.clear();
      assertNothingLeaks(fs);
    }
  }

  // ---- generators --------------------------------------------------------------------------

  private static Arbitrary<String> pathOf(FsState s, int type) {
    List<String> ps = s.model.paths(type);
    if (type == Mode.S_IFDIR) {
      ps.add(0, "/");
    }
    return ps.isEmpty() ? Arbitraries.just("/") : Arbitraries.of(ps);
  }

  private static Arbitrary<String> names() {
    return Arbitraries.of(NAMES);
  }

  /** Offsets mostly near the start, sometimes far out (sparse). */
  private static Arbitrary<Long> offsets() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.longs().between(0, 5 * P)),
        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(0, 64 * P)),
        net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, 128).map(p -> p * P)));
  }

  /** Device numbers, encoded as Linux's new_encode_dev(): small, large and extreme. */
  private static Arbitrary<Long> devices() {
    return Arbitraries.oneOf(Arbitraries.of(0L, (1L << 8) | 3, (8L << 8) | 1),
        Arbitraries.longs().between(1, 0xFFFF_FFFFL));
  }

  /** Explicit timestamps: around now, before the epoch, far in the future. */
  private static Arbitrary<Long> times() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(1_600_000_000_000_000_000L, 1_900_000_000_000_000_000L),
        Arbitraries.longs().between(-2_000_000_000_000_000_000L, 0),
        Arbitraries.of(0L, 1L, 999_999_999L, Long.MAX_VALUE));
  }

  private static Arbitrary<Integer> lengths() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(1, 300)),
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 3 * P)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 4).map(n -> n * P)));
  }

  private static Transformer<FsState> mutate(String what, java.util.function.Consumer<FsState> c) {
    return Transformer.mutate(what, c);
  }

  // ---- actions -----------------------------------------------------------------------------

  static final class Create implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFDIR), names(),
          Arbitraries.of(Mode.S_IFREG, Mode.S_IFREG, Mode.S_IFREG, Mode.S_IFIFO, Mode.S_IFCHR,
              Mode.S_IFBLK, Mode.S_IFSOCK),
          Arbitraries.integers().between(0, 07777), devices()).as((dir, n, type, perms, dev) -> {
            boolean device = type == Mode.S_IFCHR || type == Mode.S_IFBLK;
            long rdev = device ? dev : 0;
            return mutate("mknod " + PosixModel.join(dir, n) + " type 0"
                + Integer.toOctalString(type) + " perms 0" + Integer.toOctalString(perms)
                + (device ? " rdev " + rdev : ""), st -> {
              Node d = st.model.resolve(dir);
              if (d == null || !d.isDir()) {
                return;
              }
              Node fresh = st.model.newNode(type, perms);
              fresh.rdev = rdev;
              Errno e = st.model.create(d, n, fresh);
              st.expect(e, null, () -> st.fs.mknod(ROOT, st.ino(dir), Name.of(n), type | perms,
                  rdev), "mknod");
            });
          });
    }
  }

  static final class Mkdir implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFDIR), names(),
          Arbitraries.of(0755, 0700, 01777, 0555)).as((dir, n, perms) ->
          mutate("mkdir " + PosixModel.join(dir, n), st -> {
            Node d = st.model.resolve(dir);
            if (d == null || !d.isDir()) {
              return;
            }
            Errno e = st.model.create(d, n, st.model.newNode(Mode.S_IFDIR, perms));
            st.expect(e, null, () -> st.fs.mkdir(ROOT, st.ino(dir), Name.of(n), perms), "mkdir");
          }));
    }
  }

  static final class Symlink implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFDIR), names(),
          Arbitraries.strings().alpha().numeric().withChars('/', '.').ofMinLength(1)
              .ofMaxLength(60)).as((dir, n, target) ->
          mutate("symlink " + PosixModel.join(dir, n) + " -> " + target, st -> {
            Node d = st.model.resolve(dir);
            if (d == null || !d.isDir()) {
              return;
            }
            Node l = st.model.newNode(Mode.S_IFLNK, 0777);
            l.target = target;
            Errno e = st.model.create(d, n, l);
            st.expect(e, null, () -> st.fs.symlink(ROOT, st.ino(dir), Name.of(n),
                target.getBytes(StandardCharsets.UTF_8)), "symlink");
          }));
    }
  }

  static final class Write implements Action.Dependent<FsState> {
    @Override
    public boolean precondition(FsState s) {
      return !s.model.paths(Mode.S_IFREG).isEmpty();
    }

    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFREG), offsets(), lengths(),
          Arbitraries.integers().between(0, 1000), Arbitraries.of(false, false, true))
          .as((path, off, len, seed, append) ->
          mutate("write " + path + " at " + off + " len " + len + (append ? " append" : ""),
              st -> {
            Node f = st.model.resolve(path);
            if (f == null || !f.isRegular()) {
              return;
            }
            byte[] data = pattern(len, seed);
            long at = append ? f.data.length : off;
            FileHandle h = st.fs.open(ROOT, st.ino(path), FileHandle.O_RDWR
                | (append ? FileHandle.O_APPEND : 0));
            try {
              assertEquals(len, write(st.fs, h, off, data));
            } finally {
              st.fs.release(h);
            }
            PosixModel.write(f, at, data);
          }));
    }
  }

  static final class Truncate implements Action.Dependent<FsState> {
    @Override
    public boolean precondition(FsState s) {
      return !s.model.paths(Mode.S_IFREG).isEmpty();
    }

    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFREG), offsets()).as((path, size) ->
          mutate("truncate " + path + " to " + size, st -> {
            Node f = st.model.resolve(path);
            if (f == null || !f.isRegular()) {
              return;
            }
            st.fs.setattr(ROOT, st.ino(path), SetAttr.create().size(size));
            PosixModel.truncate(f, size);
          }));
    }
  }

  static final class Fallocate implements Action.Dependent<FsState> {
    private static final int KEEP = FileIo.FALLOC_FL_KEEP_SIZE;

    @Override
    public boolean precondition(FsState s) {
      return !s.model.paths(Mode.S_IFREG).isEmpty();
    }

    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      Arbitrary<Integer> modes = Arbitraries.of(0, KEEP, FileIo.FALLOC_FL_PUNCH_HOLE | KEEP,
          FileIo.FALLOC_FL_PUNCH_HOLE | KEEP, FileIo.FALLOC_FL_ZERO_RANGE,
          FileIo.FALLOC_FL_ZERO_RANGE | KEEP, FileIo.FALLOC_FL_COLLAPSE_RANGE,
          FileIo.FALLOC_FL_INSERT_RANGE);
      return Combinators.combine(pathOf(s, Mode.S_IFREG), modes, offsets(), lengths(),
          Arbitraries.of(false, true)).as((path, mode, off, len, aligned) -> {
            long o = aligned ? off / P * P : off;
            long l = aligned ? Math.max(P, (len + P - 1) / P * P) : len;
            return mutate("fallocate " + path + " mode 0x" + Integer.toHexString(mode)
                + " [" + o + ", +" + l + ")", st -> {
              Node f = st.model.resolve(path);
              if (f == null || !f.isRegular()) {
                return;
              }
              Node copy = new Node(0, Mode.S_IFREG, 0);
              copy.data = f.data;
              Errno e = PosixModel.fallocate(copy, mode, o, l);
              FileHandle h = st.fs.open(ROOT, st.ino(path), FileHandle.O_RDWR);
              try {
                st.expect(e, null, () -> st.fs.fallocate(ROOT, h, mode, o, l), "fallocate");
              } finally {
                st.fs.release(h);
              }
              f.data = copy.data;
              if (e == null) {
                PosixModel.modified(f);
              }
            });
          });
    }
  }

  static final class Link implements Action.Dependent<FsState> {
    @Override
    public boolean precondition(FsState s) {
      return !s.model.paths(0).isEmpty();
    }

    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, 0), pathOf(s, Mode.S_IFDIR), names())
          .as((src, dir, n) -> mutate("link " + src + " " + PosixModel.join(dir, n), st -> {
            Node f = st.model.resolve(src);
            Node d = st.model.resolve(dir);
            if (f == null || f == st.model.root || d == null || !d.isDir()) {
              return;
            }
            Errno e = st.model.link(f, d, n);
            st.expect(e, null, () -> st.fs.link(ROOT, st.ino(src), st.ino(dir), Name.of(n)),
                "link");
          }));
    }
  }

  static final class Unlink implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFDIR), names()).as((dir, n) ->
          mutate("unlink " + PosixModel.join(dir, n), st -> {
            Node d = st.model.resolve(dir);
            if (d == null || !d.isDir()) {
              return;
            }
            Errno e = st.model.unlink(d, n);
            st.expect(e, null, () -> st.fs.unlink(ROOT, st.ino(dir), Name.of(n)), "unlink");
          }));
    }
  }

  static final class Rmdir implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFDIR), names()).as((dir, n) ->
          mutate("rmdir " + PosixModel.join(dir, n), st -> {
            Node d = st.model.resolve(dir);
            if (d == null || !d.isDir()) {
              return;
            }
            Errno e = st.model.rmdir(d, n);
            st.expect(e, null, () -> st.fs.rmdir(ROOT, st.ino(dir), Name.of(n)), "rmdir");
          }));
    }
  }

  static final class Rename implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(pathOf(s, Mode.S_IFDIR), names(), pathOf(s, Mode.S_IFDIR),
          names(), Arbitraries.of(0, 0, Namespace.RENAME_NOREPLACE, Namespace.RENAME_EXCHANGE))
          .as((sd, sn, dd, dn, flags) -> mutate("rename " + PosixModel.join(sd, sn) + " "
              + PosixModel.join(dd, dn) + " flags " + flags, st -> {
            Node a = st.model.resolve(sd);
            Node b = st.model.resolve(dd);
            if (a == null || !a.isDir() || b == null || !b.isDir()) {
              return;
            }
            long ai = st.ino(sd);
            long bi = st.ino(dd);
            Errno e = st.model.rename(a, sn, b, dn, flags);
            st.expect(e, st.model.renameAlternative, () -> st.fs.rename(ROOT, ai, Name.of(sn),
                bi, Name.of(dn), flags), "rename");
          }));
    }
  }

  static final class Chmod implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(Arbitraries.of(s.model.paths()),
          Arbitraries.integers().between(0, 07777)).as((path, perms) ->
          mutate("chmod 0" + Integer.toOctalString(perms) + " " + path, st -> {
            Node n = st.model.resolve(path);
            if (n == null) {
              return;
            }
            st.fs.setattr(ROOT, st.ino(path), SetAttr.create().mode(perms));
            n.perms = perms;
          }));
    }
  }

  /** chown(2) as root: either id may be left alone (-1), never both. */
  static final class Chown implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      Arbitrary<Integer> id = Arbitraries.of(IDS);
      return Combinators.combine(Arbitraries.of(s.model.paths()), id.injectNull(0.3),
          id.injectNull(0.3)).filter((path, uid, gid) -> uid != null || gid != null)
          .as((path, uid, gid) -> mutate("chown " + uid + ":" + gid + " " + path, st -> {
            Node n = st.model.resolve(path);
            if (n == null) {
              return;
            }
            SetAttr sa = SetAttr.create();
            if (uid != null) {
              sa.uid(uid);
            }
            if (gid != null) {
              sa.gid(gid);
            }
            st.fs.setattr(ROOT, st.ino(path), sa);
            PosixModel.chown(n, uid, gid);
          }));
    }
  }

  /**
   * utimensat(2): each time is explicit, UTIME_NOW or UTIME_OMIT (never both omitted, which
   * the kernel answers without calling the filesystem). Explicit times must read back exactly
   * and an omitted one must keep its value; two NOWs are one instant.
   */
  static final class Utimens implements Action.Dependent<FsState> {
    /** Stands for UTIME_OMIT in the generated choices. */
    private static final long OMIT = Long.MIN_VALUE + 1;

    private static Arbitrary<Long> choice() {
      return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, times()),
          net.jqwik.api.Tuple.of(1, Arbitraries.just(SetAttr.NOW)),
          net.jqwik.api.Tuple.of(2, Arbitraries.just(OMIT)));
    }

    private static String show(long t) {
      return t == SetAttr.NOW ? "NOW" : t == OMIT ? "OMIT" : Long.toString(t);
    }

    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(Arbitraries.of(s.model.paths()), choice(), choice())
          .filter((path, at, mt) -> at != OMIT || mt != OMIT)
          .as((path, at, mt) -> mutate("utimens " + path + " atime " + show(at) + " mtime "
              + show(mt), st -> {
            Node n = st.model.resolve(path);
            if (n == null) {
              return;
            }
            SetAttr sa = SetAttr.create();
            if (at != OMIT) {
              sa.atime(at);
              n.atime = at == SetAttr.NOW ? null : at;
            }
            if (mt != OMIT) {
              sa.mtime(mt);
              n.mtime = mt == SetAttr.NOW ? null : mt;
            }
            Attr a = st.fs.setattr(ROOT, st.ino(path), sa);
            if (at == SetAttr.NOW && mt == SetAttr.NOW) {
              assertEquals(a.atime(), a.mtime(), "UTIME_NOW twice is one instant");
            }
          }));
    }
  }

  /** readlink(2) on any node: a symlink's target, EINVAL for everything else. */
  static final class Readlink implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Arbitraries.of(s.model.paths()).map(path -> mutate("readlink " + path, st -> {
        Node n = st.model.resolve(path);
        if (n == null) {
          return;
        }
        long ino = st.ino(path);
        if (n.isSymlink()) {
          assertEquals(n.target, new String(st.fs.readlink(ROOT, ino), StandardCharsets.UTF_8),
              "readlink " + path);
        } else {
          st.expect(Errno.EINVAL, null, () -> st.fs.readlink(ROOT, ino), "readlink");
        }
      }));
    }
  }

  static final class SetXattr implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(Arbitraries.of(s.model.paths()), Arbitraries.of(XATTRS),
          Arbitraries.integers().between(0, 3800), Arbitraries.of(0, 0, 1, 2))
          .as((path, x, size, flags) -> mutate("setxattr " + path + " " + x + " size " + size
              + " flags " + flags, st -> {
            Node n = st.model.resolve(path);
            if (n == null) {
              return;
            }
            byte[] v = pattern(size, x.hashCode() + size);
            Errno e;
            if (x.startsWith("user.") && !n.isRegular() && !n.isDir()) {
              e = Errno.EPERM;
            } else if (flags == InodeOps.XATTR_CREATE && n.xattrs.containsKey(x)) {
              e = Errno.EEXIST;
            } else if (flags == InodeOps.XATTR_REPLACE && !n.xattrs.containsKey(x)) {
              e = Errno.ENODATA;
            } else if (size > Xattrs.MAX_VALUE) {
              e = Errno.ENOSPC;
            } else {
              e = null;
            }
            st.expect(e, null, () -> st.fs.setxattr(ROOT, st.ino(path), x, v, flags),
                "setxattr");
            if (e == null) {
              n.xattrs.put(x, v);
            }
          }));
    }
  }

  static final class RemoveXattr implements Action.Dependent<FsState> {
    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(Arbitraries.of(s.model.paths()), Arbitraries.of(XATTRS))
          .as((path, x) -> mutate("removexattr " + path + " " + x, st -> {
            Node n = st.model.resolve(path);
            if (n == null) {
              return;
            }
            Errno e = x.startsWith("user.") && !n.isRegular() && !n.isDir() ? Errno.EPERM
                : n.xattrs.containsKey(x) ? null : Errno.ENODATA;
            st.expect(e, null, () -> st.fs.removexattr(ROOT, st.ino(path), x), "removexattr");
            if (e == null) {
              n.xattrs.remove(x);
            }
          }));
    }
  }

  /** Opens a file and removes its name: it lives on in the handle. */
  static final class OpenUnlink implements Action.Dependent<FsState> {
    @Override
    public boolean precondition(FsState s) {
      return !s.model.paths(Mode.S_IFREG).isEmpty();
    }

    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return pathOf(s, Mode.S_IFREG).map(path -> mutate("open and unlink " + path, st -> {
        Node f = st.model.resolve(path);
        if (f == null || !f.isRegular()) {
          return;
        }
        FileHandle h = st.fs.open(ROOT, st.ino(path), FileHandle.O_RDWR);
        String dir = path.substring(0, Math.max(1, path.lastIndexOf('/')));
        String n = path.substring(path.lastIndexOf('/') + 1);
        st.fs.unlink(ROOT, st.ino(dir), Name.of(n));
        st.model.unlink(st.model.resolve(dir), n);
        st.handles.add(new Object[] {h, f});
      }));
    }
  }

  /** Writes through an open handle, reads it back and closes it. */
  static final class CloseHandle implements Action.Dependent<FsState> {
    @Override
    public boolean precondition(FsState s) {
      return !s.handles.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<FsState>> transformer(FsState s) {
      return Combinators.combine(Arbitraries.integers().between(0, 7), offsets(), lengths())
          .as((i, off, len) -> mutate("write " + len + " at " + off
              + " through open handle " + i + " and close it", st -> {
            if (st.handles.isEmpty()) {
              return;
            }
            Object[] oh = st.handles.remove(i % st.handles.size());
            FileHandle h = (FileHandle) oh[0];
            Node f = (Node) oh[1];
            byte[] data = pattern(len, len);
            write(st.fs, h, off, data);
            PosixModel.write(f, off, data);
            assertArrayEquals(f.data, read(st.fs, h, 0, f.data.length + 1));
            f.atime = null;
            st.fs.release(h);
          }));
    }
  }
}
