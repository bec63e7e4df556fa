// Marks one ELF symbol-version requirement weak, so that TorchSharp's native library loads on Linux
// distributions whose libstdc++ is older than the one it was built against.
//
// Why this exists: TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's libstdc++ and
// so lists GLIBCXX_3.4.32 among the versions it needs from libstdc++.so.6. Debian 12 and Ubuntu 22.04
// ship GCC 12's libstdc++ (up to GLIBCXX_3.4.30), and the dynamic loader refuses a library whose
// *required* version is missing: the first TorchSharp call throws DllNotFoundException. The only
// symbol bound to that version is std::ios_base_library_init, which GCC 13 references without any
// relocation, so nothing at run time ever needs it. Setting VER_FLG_WEAK in that one requirement makes
// the loader treat a missing version as a non-fatal condition, and the library then loads and runs
// (measured: ResNet-50 builds and runs forward). `patchelf --clear-symbol-version` does not help: it
// touches symbol versions, not the requirement in .gnu.version_r.
//
// One implementation, two consumers:
//   * runtime/build/CnnGen.Runtime.targets compiles this file as an inline MSBuild task
//     (RoslynCodeTaskFactory, Code Type="Class"), so the fix needs no task DLL and no external tool;
//   * the runtime test project compiles the same file (a Compile link) and tests the patch logic directly.
// The MSBuild task class at the end is only compiled in the first case (see the #if there), so the
// test project needs no reference to MSBuild.
//
// The code keeps to what netstandard2.0 offers (RoslynCodeTaskFactory compiles against MSBuild's
// netstandard reference assemblies): no Span, no BinaryPrimitives, no File.Move(overwrite).

#nullable enable

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace CnnGen.Build
{
    /// <summary>What <see cref="ElfVersionPatcher.MarkVersionNeedWeak"/> did.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The requirement was found and the file rewritten with the weak bit set.</summary>
        Patched,
        /// <summary>Every matching requirement already had the weak bit; the file was not written.</summary>
        AlreadyWeak,
        /// <summary>The file is a valid ELF that does not require that version; not written.</summary>
        VersionNotRequired,
        /// <summary>The file is not the ELF64 little-endian layout this code understands; not written.</summary>
        UnexpectedLayout,
    }

    /// <summary>One Vernaux entry of .gnu.version_r: a version a library needs from one of its dependencies.</summary>
    public sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string fileName, string versionName, uint hash, ushort flags, ushort other, long flagsOffset)
        {
            FileName = fileName;
            VersionName = versionName;
            Hash = hash;
            Flags = flags;
            Other = other;
            FlagsOffset = flagsOffset;
        }

        /// <summary>The dependency (vn_file), e.g. libstdc++.so.6.</summary>
        public string FileName { get; }
        /// <summary>The version (vna_name), e.g. GLIBCXX_3.4.32.</summary>
        public string VersionName { get; }
        /// <summary>vna_hash.</summary>
        public uint Hash { get; }
        /// <summary>vna_flags; bit 0x2 is VER_FLG_WEAK.</summary>
        public ushort Flags { get; }
        /// <summary>vna_other: the version index symbols use to refer to this requirement.</summary>
        public ushort Other { get; }
        /// <summary>Absolute file offset of the two-byte vna_flags field.</summary>
        public long FlagsOffset { get; }

        public bool IsWeak => (Flags & ElfVersionPatcher.VerFlagWeak) != 0;
    }

    /// <summary>One two-byte write the patcher made (or would make).</summary>
    public sealed class ElfFlagChange
    {
        public ElfFlagChange(string fileName, long offset, ushort before, ushort after)
        {
            FileName = fileName;
            Offset = offset;
            Before = before;
            After = after;
        }

        public string FileName { get; }
        public long Offset { get; }
        public ushort Before { get; }
        public ushort After { get; }

        public override string ToString() =>
            "vna_flags of " + FileName + " requirement at file offset 0x" + Offset.ToString("x") +
            ": 0x" + Before.ToString("x4") + " -> 0x" + After.ToString("x4");
    }

    /// <summary>The result of one patch attempt.</summary>
    public sealed class ElfPatchResult
    {
        public ElfPatchResult(ElfPatchOutcome outcome, string detail, IReadOnlyList<ElfFlagChange> changes)
        {
            Outcome = outcome;
            Detail = detail;
            Changes = changes;
        }

        public ElfPatchOutcome Outcome { get; }
        /// <summary>A sentence for the build log.</summary>
        public string Detail { get; }
        /// <summary>The vna_flags fields written (empty unless <see cref="Outcome"/> is Patched).</summary>
        public IReadOnlyList<ElfFlagChange> Changes { get; }
    }

    /// <summary>The file is not the ELF layout expected; the message says what was wrong.</summary>
    public sealed class ElfFormatException : Exception
    {
        public ElfFormatException(string message) : base(message) { }
    }

    /// <summary>
    /// Reads symbol-version tables of ELF64 little-endian files and marks a version requirement weak.
    /// Every read is bounds-checked against the file; nothing is written outside the two bytes of the
    /// vna_flags fields it found and validated.
    /// </summary>
    public static class ElfVersionPatcher
    {
        /// <summary>VER_FLG_WEAK in vna_flags (elf.h): a missing version is not an error.</summary>
        public const ushort VerFlagWeak = 0x2;

        private const uint ShtStrtab = 3;
        private const uint ShtDynamic = 6;
        private const uint ShtNobits = 8;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint PtLoad = 1;
        private const long DtNull = 0;
        private const long DtVerneed = 0x6ffffffe;
        private const long DtVerneedNum = 0x6fffffff;
        private const ushort EtExec = 2;
        private const ushort EtDyn = 3;

        // ---------------------------------------------------------------------------------------------
        // Reading

        /// <summary>
        /// The e_machine field (62 = x86-64, 183 = AArch64) of an ELF64 little-endian file or of just its
        /// first bytes (the identification and e_machine fit in 20).
        /// </summary>
        /// <exception cref="ElfFormatException">Not an ELF64 little-endian file.</exception>
        public static ushort ReadMachine(byte[] elfOrHeader)
        {
            byte[] h = elfOrHeader;
            if (h.Length < 20 || h[0] != 0x7f || h[1] != (byte)'E' || h[2] != (byte)'L' || h[3] != (byte)'F')
                throw new ElfFormatException("not an ELF file (bad magic)");
            if (h[4] != 2 || h[5] != 1)
                throw new ElfFormatException("not an ELF64 little-endian file (EI_CLASS " + h[4] + ", EI_DATA " + h[5] + ")");
            return (ushort)(h[18] | h[19] << 8);
        }

        /// <summary>All version requirements (.gnu.version_r) of the file, in file order.</summary>
        /// <exception cref="ElfFormatException">The layout is not what the ELF specification describes.</exception>
        public static List<ElfVersionNeed> ReadVersionNeeds(byte[] elf)
        {
            var file = new Elf64(elf);
            var result = new List<ElfVersionNeed>();
            Section? verneed = file.SingleSectionOfType(ShtGnuVerneed, ".gnu.version_r");
            if (verneed == null)
                return result;

            // The loader does not read section headers: it follows DT_VERNEED in the dynamic table to a
            // virtual address. Patching the section is only right if both name the same bytes, so check.
            file.CheckDynamicAgrees(verneed);

            Section strings = file.LinkedStringTable(verneed, ".gnu.version_r");
            long end = verneed.Offset + verneed.Size;
            long entry = verneed.Offset;
            // sh_info holds the number of Verneed entries; each is 16 bytes, so the count is bounded.
            long count = verneed.Info;
            if (count == 0 || count > verneed.Size / 16)
                throw new ElfFormatException(".gnu.version_r has sh_info " + verneed.Info + " for " + verneed.Size + " bytes");

            for (long i = 0; i < count; i++)
            {
                file.Require(entry, 16, verneed, "Verneed entry");
                ushort vnVersion = file.U16(entry);
                ushort vnCount = file.U16(entry + 2);
                uint vnFile = file.U32(entry + 4);
                uint vnAux = file.U32(entry + 8);
                uint vnNext = file.U32(entry + 12);
                if (vnVersion != 1)
                    throw new ElfFormatException("Verneed entry at 0x" + entry.ToString("x") + " has vn_version " + vnVersion + " (expected 1)");
                string fileName = file.String(strings, vnFile);

                long aux = entry + vnAux;
                for (int j = 0; j < vnCount; j++)
                {
                    file.Require(aux, 16, verneed, "Vernaux entry");
                    uint hash = file.U32(aux);
                    ushort flags = file.U16(aux + 4);
                    ushort other = file.U16(aux + 6);
                    uint name = file.U32(aux + 8);
                    uint next = file.U32(aux + 12);
                    string versionName = file.String(strings, name);
                    // The loader compares hashes before names; a mismatch means we misread something.
                    if (hash != ElfHash(versionName))
                        throw new ElfFormatException("Vernaux entry at 0x" + aux.ToString("x") + " names " + versionName +
                            " but its hash 0x" + hash.ToString("x") + " is not that name's (0x" + ElfHash(versionName).ToString("x") + ")");
                    result.Add(new ElfVersionNeed(fileName, versionName, hash, flags, other, aux + 4));
                    if (next == 0)
                    {
                        if (j != vnCount - 1)
                            throw new ElfFormatException("Vernaux chain of " + fileName + " ends after " + (j + 1) + " of " + vnCount + " entries");
                        break;
                    }
                    aux += next;
                }

                if (vnNext == 0)
                {
                    if (i != count - 1)
                        throw new ElfFormatException("Verneed chain ends after " + (i + 1) + " of " + count + " entries");
                    break;
                }
                entry += vnNext;
                if (entry >= end)
                    throw new ElfFormatException("Verneed vn_next points outside .gnu.version_r");
            }

            return result;
        }

        /// <summary>The version names a library defines (.gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
        /// <exception cref="ElfFormatException">The layout is not what the ELF specification describes.</exception>
        public static List<string> ReadVersionDefinitions(byte[] elf)
        {
            var file = new Elf64(elf);
            var result = new List<string>();
            Section? verdef = file.SingleSectionOfType(ShtGnuVerdef, ".gnu.version_d");
            if (verdef == null)
                return result;
            Section strings = file.LinkedStringTable(verdef, ".gnu.version_d");
            long count = verdef.Info; // Verdef entries are 20 bytes each
            if (count == 0 || count > verdef.Size / 20)
                throw new ElfFormatException(".gnu.version_d has sh_info " + verdef.Info + " for " + verdef.Size + " bytes");
            long entry = verdef.Offset;
            for (long i = 0; i < count; i++)
            {
                file.Require(entry, 20, verdef, "Verdef entry");
                ushort vdCount = file.U16(entry + 6);
                uint vdAux = file.U32(entry + 12);
                uint vdNext = file.U32(entry + 16);
                if (vdCount > 0)
                {
                    // The first Verdaux names the version itself; any others name its parents.
                    file.Require(entry + vdAux, 8, verdef, "Verdaux entry");
                    result.Add(file.String(strings, file.U32(entry + vdAux)));
                }
                if (vdNext == 0)
                    break;
                entry += vdNext;
            }
            return result;
        }

        /// <summary>
        /// Whether the library at <paramref name="libraryPath"/> defines <paramref name="versionName"/>.
        /// Reads .gnu.version_d; if that cannot be parsed, falls back to looking for the NUL-terminated
        /// name anywhere in the file (version names are cumulative, so a library defining 3.4.33 also
        /// defines 3.4.32).
        /// </summary>
        public static bool DefinesVersion(string libraryPath, string versionName)
        {
            byte[] bytes = File.ReadAllBytes(libraryPath);
            try
            {
                return ReadVersionDefinitions(bytes).Contains(versionName);
            }
            catch (ElfFormatException)
            {
                return IndexOf(bytes, Encoding.ASCII.GetBytes(versionName + "\0")) >= 0;
            }
        }

        /// <summary>The standard ELF (SysV) hash the loader uses for version names.</summary>
        public static uint ElfHash(string name)
        {
            uint h = 0;
            foreach (byte b in Encoding.UTF8.GetBytes(name))
            {
                h = (h << 4) + b;
                uint g = h & 0xf0000000;
                if (g != 0)
                    h ^= g >> 24;
                h &= ~g;
            }
            return h;
        }

        // ---------------------------------------------------------------------------------------------
        // Patching

        /// <summary>
        /// Sets VER_FLG_WEAK on every requirement named <paramref name="versionName"/> in the file at
        /// <paramref name="path"/>. Writes nothing if the file is not understood, does not have that
        /// requirement, or already has it weak, so running it again is a no-op.
        /// The file is never modified in place: the patched bytes go to a temporary file in the same
        /// directory, which then atomically replaces the path. A hard link, symbolic link or reflink that
        /// shares data with the NuGet cache is thereby detached, never written through.
        /// The patched file keeps the original's last-write time, so MSBuild's incremental Copy
        /// (size + time) keeps treating it as up to date and does not copy the unpatched file back over it.
        /// </summary>
        public static ElfPatchResult MarkVersionNeedWeak(string path, string versionName)
        {
            byte[] bytes = File.ReadAllBytes(path);
            List<ElfVersionNeed> needs;
            try
            {
                needs = ReadVersionNeeds(bytes);
            }
            catch (ElfFormatException e)
            {
                return new ElfPatchResult(ElfPatchOutcome.UnexpectedLayout, e.Message, new ElfFlagChange[0]);
            }

            var matching = needs.FindAll(n => n.VersionName == versionName);
            if (matching.Count == 0)
                return new ElfPatchResult(ElfPatchOutcome.VersionNotRequired,
                    "the file does not require " + versionName, new ElfFlagChange[0]);

            var changes = new List<ElfFlagChange>();
            foreach (ElfVersionNeed need in matching)
                if (!need.IsWeak)
                    changes.Add(new ElfFlagChange(need.FileName, need.FlagsOffset, need.Flags, (ushort)(need.Flags | VerFlagWeak)));
            if (changes.Count == 0)
                return new ElfPatchResult(ElfPatchOutcome.AlreadyWeak,
                    versionName + " is already weak (vna_flags at 0x" + matching[0].FlagsOffset.ToString("x") +
                    " = 0x" + matching[0].Flags.ToString("x4") + ")", new ElfFlagChange[0]);

            ReplaceWithPatchedCopy(path, bytes.Length, changes);
            var text = new StringBuilder();
            foreach (ElfFlagChange change in changes)
                text.Append(text.Length == 0 ? "" : "; ").Append(change.ToString());
            return new ElfPatchResult(ElfPatchOutcome.Patched, text.ToString(), changes);
        }

        private static void ReplaceWithPatchedCopy(string path, long expectedLength, List<ElfFlagChange> changes)
        {
            string fullPath = Path.GetFullPath(path);
            string directory = Path.GetDirectoryName(fullPath) ?? ".";
            string temp = Path.Combine(directory, "." + Path.GetFileName(fullPath) + ".cnngen-" + Guid.NewGuid().ToString("N") + ".tmp");
            bool isSymbolicLink = (File.GetAttributes(fullPath) & FileAttributes.ReparsePoint) != 0;
            DateTime lastWrite = File.GetLastWriteTimeUtc(fullPath);
            try
            {
                // File.Copy gives a new inode with the original's permission bits (the library stays
                // executable); the copy is the file that gets written, never the original.
                File.Copy(fullPath, temp, false);
                // For a symbolic link (CreateSymbolicLinksForCopyLocalIfPossible) the time above is the
                // link's own; the time MSBuild compares against the cache is the target's, which the copy
                // carries. Without this, every build would re-create the link and patch again.
                if (isSymbolicLink)
                    lastWrite = File.GetLastWriteTimeUtc(temp);
                using (var stream = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                    if (stream.Length != expectedLength)
                        throw new IOException(fullPath + " changed while it was being patched");
                    var buffer = new byte[2];
                    foreach (ElfFlagChange change in changes)
                    {
                        // Re-check the two bytes in the copy: another writer could have replaced the
                        // file between our read and the copy.
                        stream.Position = change.Offset;
                        if (stream.Read(buffer, 0, 2) != 2 || (ushort)(buffer[0] | buffer[1] << 8) != change.Before)
                            throw new IOException(fullPath + " changed while it was being patched");
                        buffer[0] = (byte)(change.After & 0xff);
                        buffer[1] = (byte)(change.After >> 8);
                        stream.Position = change.Offset;
                        stream.Write(buffer, 0, 2);
                    }
                    stream.Flush(true);
                }
                File.SetLastWriteTimeUtc(temp, lastWrite);
                // On Unix, File.Replace without a backup is rename(2): atomic, and it replaces the
                // directory entry (a link to the cache stays pointing at the untouched cache file).
                File.Replace(temp, fullPath, null);
            }
            finally
            {
                if (File.Exists(temp))
                    File.Delete(temp);
            }
        }

        // ---------------------------------------------------------------------------------------------
        // Finding the system library

        /// <summary>
        /// Finds the <paramref name="soname"/> (e.g. libstdc++.so.6) the dynamic loader would use for a
        /// process on this machine, for the given ELF machine: LD_LIBRARY_PATH, then the loader cache
        /// (<c>ldconfig -p</c>), then the default and multiarch directories. Returns null if none is found.
        /// A copy next to libLibTorchSharp.so ($ORIGIN in its RUNPATH) is deliberately not considered:
        /// the .NET host itself links libstdc++.so.6, so the process has already loaded the system's
        /// copy by the time TorchSharp's library is opened, and the loader reuses it by soname.
        /// </summary>
        public static string? FindSystemLibrary(string soname, ushort machine, List<string>? searched = null)
        {
            var candidates = new List<string>();
            string? ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldLibraryPath))
                foreach (string dir in ldLibraryPath!.Split(':'))
                    if (dir.Length > 0)
                        candidates.Add(Path.Combine(dir, soname));
            candidates.AddRange(LoaderCacheEntries(soname));
            string? multiarch = machine == 62 ? "x86_64-linux-gnu" : machine == 183 ? "aarch64-linux-gnu" : null;
            if (multiarch != null)
            {
                candidates.Add("/lib/" + multiarch + "/" + soname);
                candidates.Add("/usr/lib/" + multiarch + "/" + soname);
            }
            candidates.Add("/lib64/" + soname);
            candidates.Add("/usr/lib64/" + soname);
            candidates.Add("/lib/" + soname);
            candidates.Add("/usr/lib/" + soname);

            foreach (string candidate in candidates)
            {
                searched?.Add(candidate);
                try
                {
                    if (!File.Exists(candidate))
                        continue;
                    // The loader skips libraries of another architecture (e.g. a 32-bit copy in /usr/lib).
                    var header = new byte[64];
                    using (var stream = File.OpenRead(candidate))
                        if (stream.Read(header, 0, header.Length) != header.Length)
                            continue;
                    if (ReadMachine(header) == machine)
                        return candidate;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
                catch (ElfFormatException) { }
            }
            return null;
        }

        /// <summary>Paths `ldconfig -p` lists for the soname (empty if ldconfig is missing or fails).</summary>
        private static List<string> LoaderCacheEntries(string soname)
        {
            var result = new List<string>();
            // /sbin is not on an ordinary user's PATH on Debian, so try the usual places first.
            foreach (string ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "/usr/bin/ldconfig", "/bin/ldconfig" })
            {
                if (!File.Exists(ldconfig))
                    continue;
                try
                {
                    var start = new ProcessStartInfo(ldconfig, "-p")
                    {
                        UseShellExecute = false,
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        CreateNoWindow = true,
                    };
                    start.Environment["LC_ALL"] = "C";
                    using (var process = Process.Start(start))
                    {
                        if (process == null)
                            continue;
                        var output = process.StandardOutput.ReadToEndAsync();
                        process.StandardError.ReadToEndAsync();
                        if (!process.WaitForExit(10000) || !output.Wait(1000))
                        {
                            try { process.Kill(); } catch (InvalidOperationException) { }
                            continue;
                        }
                        // Lines look like: "\tlibstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
                        foreach (string line in output.Result.Split('\n'))
                        {
                            string trimmed = line.Trim();
                            int arrow = trimmed.IndexOf(" => ", StringComparison.Ordinal);
                            if (arrow < 0 || !trimmed.StartsWith(soname + " ", StringComparison.Ordinal))
                                continue;
                            result.Add(trimmed.Substring(arrow + 4).Trim());
                        }
                    }
                    return result;
                }
                catch (Exception e) when (e is IOException || e is InvalidOperationException || e is System.ComponentModel.Win32Exception)
                {
                }
            }
            return result;
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                int k = 0;
                while (k < needle.Length && haystack[i + k] == needle[k])
                    k++;
                if (k == needle.Length)
                    return i;
            }
            return -1;
        }

        // ---------------------------------------------------------------------------------------------
        // A minimal, bounds-checked ELF64 little-endian reader

        private sealed class Section
        {
            public int Index;
            public uint Type;
            public ulong Address;
            public long Offset;
            public long Size;
            public uint Link;
            public uint Info;
        }

        private sealed class Elf64
        {
            private readonly byte[] _d;
            private readonly List<Section> _sections = new List<Section>();

            public Elf64(byte[] data)
            {
                _d = data;
                if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
                    throw new ElfFormatException("not an ELF file (bad magic)");
                if (data[4] != 2)
                    throw new ElfFormatException("not a 64-bit ELF file (EI_CLASS " + data[4] + ")");
                if (data[5] != 1)
                    throw new ElfFormatException("not a little-endian ELF file (EI_DATA " + data[5] + ")");
                if (data[6] != 1 || U32(20) != 1)
                    throw new ElfFormatException("unknown ELF version");
                ushort type = U16(16);
                if (type != EtDyn && type != EtExec)
                    throw new ElfFormatException("not a shared library or executable (e_type " + type + ")");
                ProgramHeaderOffset = U64Offset(32, "e_phoff");
                long sectionHeaderOffset = U64Offset(40, "e_shoff");
                ProgramHeaderSize = U16(54);
                ProgramHeaderCount = U16(56);
                ushort sectionHeaderSize = U16(58);
                long sectionCount = U16(60);
                if (sectionHeaderOffset == 0)
                    throw new ElfFormatException("the file has no section headers");
                if (sectionHeaderSize != 64)
                    throw new ElfFormatException("e_shentsize is " + sectionHeaderSize + " (expected 64)");
                if (sectionCount == 0)
                {
                    // Extended numbering: the real count is in sh_size of section 0.
                    Check(sectionHeaderOffset, 64, "section header 0");
                    ulong real = U64(sectionHeaderOffset + 32);
                    if (real > (ulong)(data.Length / 64))
                        throw new ElfFormatException("section count " + real + " does not fit the file");
                    sectionCount = (long)real;
                }
                if (sectionCount > (data.Length - sectionHeaderOffset) / 64)
                    throw new ElfFormatException("section header table (" + sectionCount + " entries at 0x" + sectionHeaderOffset.ToString("x") + ") extends past the end of the file");
                for (int i = 0; i < sectionCount; i++)
                {
                    long h = sectionHeaderOffset + 64L * i;
                    var s = new Section
                    {
                        Index = i,
                        Type = U32(h + 4),
                        Address = U64(h + 16),
                        Offset = U64Offset(h + 24, "sh_offset"),
                        Size = U64Offset(h + 32, "sh_size"),
                        Link = U32(h + 40),
                        Info = U32(h + 44),
                    };
                    _sections.Add(s);
                }
            }

            private long ProgramHeaderOffset { get; }
            private ushort ProgramHeaderSize { get; }
            private ushort ProgramHeaderCount { get; }

            public Section? SingleSectionOfType(uint type, string what)
            {
                Section? found = null;
                foreach (Section s in _sections)
                {
                    if (s.Type != type)
                        continue;
                    if (found != null)
                        throw new ElfFormatException("more than one " + what + " section");
                    found = s;
                }
                if (found != null)
                    CheckSection(found, what);
                return found;
            }

            public Section LinkedStringTable(Section owner, string what)
            {
                if (owner.Link == 0 || owner.Link >= _sections.Count)
                    throw new ElfFormatException(what + " has sh_link " + owner.Link + ", not a section index");
                Section strings = _sections[(int)owner.Link];
                if (strings.Type != ShtStrtab)
                    throw new ElfFormatException(what + " links to section " + owner.Link + " of type 0x" + strings.Type.ToString("x") + ", not a string table");
                CheckSection(strings, "string table of " + what);
                return strings;
            }

            /// <summary>DT_VERNEED must be the section's address, mapped by a PT_LOAD to the section's offset.</summary>
            public void CheckDynamicAgrees(Section verneed)
            {
                Section? dynamic = SingleSectionOfType(ShtDynamic, ".dynamic");
                if (dynamic == null)
                    throw new ElfFormatException("no .dynamic section, so the loader would not use .gnu.version_r");
                ulong? dtVerneed = null;
                ulong? dtVerneedNum = null;
                for (long at = dynamic.Offset; at + 16 <= dynamic.Offset + dynamic.Size; at += 16)
                {
                    long tag = (long)U64(at);
                    if (tag == DtNull)
                        break;
                    if (tag == DtVerneed)
                        dtVerneed = U64(at + 8);
                    else if (tag == DtVerneedNum)
                        dtVerneedNum = U64(at + 8);
                }
                if (dtVerneed != verneed.Address)
                    throw new ElfFormatException("DT_VERNEED (" + Hex(dtVerneed) + ") is not the address of .gnu.version_r (0x" + verneed.Address.ToString("x") + ")");
                if (dtVerneedNum != verneed.Info)
                    throw new ElfFormatException("DT_VERNEEDNUM (" + (dtVerneedNum?.ToString() ?? "missing") + ") differs from sh_info of .gnu.version_r (" + verneed.Info + ")");
                if (ProgramHeaderSize != 56)
                    throw new ElfFormatException("e_phentsize is " + ProgramHeaderSize + " (expected 56)");
                Check(ProgramHeaderOffset, 56L * ProgramHeaderCount, "program header table");
                for (int i = 0; i < ProgramHeaderCount; i++)
                {
                    long p = ProgramHeaderOffset + 56L * i;
                    if (U32(p) != PtLoad)
                        continue;
                    ulong fileOffset = U64(p + 8), vaddr = U64(p + 16), fileSize = U64(p + 32);
                    if (verneed.Address < vaddr || verneed.Address - vaddr >= fileSize)
                        continue;
                    if (fileOffset + (verneed.Address - vaddr) != (ulong)verneed.Offset)
                        throw new ElfFormatException("the PT_LOAD segment maps .gnu.version_r's address to file offset 0x" +
                            (fileOffset + (verneed.Address - vaddr)).ToString("x") + ", not its sh_offset 0x" + verneed.Offset.ToString("x"));
                    return;
                }
                throw new ElfFormatException("no PT_LOAD segment contains .gnu.version_r");
            }

            public void Require(long offset, long length, Section within, string what)
            {
                if (offset < within.Offset || length > within.Size || offset - within.Offset > within.Size - length)
                    throw new ElfFormatException(what + " at 0x" + offset.ToString("x") + " lies outside its section (0x" +
                        within.Offset.ToString("x") + " + 0x" + within.Size.ToString("x") + ")");
                Check(offset, length, what);
            }

            public string String(Section table, uint offset)
            {
                if (offset >= table.Size)
                    throw new ElfFormatException("string offset " + offset + " is outside its string table (" + table.Size + " bytes)");
                long start = table.Offset + offset;
                long end = table.Offset + table.Size;
                for (long i = start; i < end; i++)
                    if (_d[i] == 0)
                        return Encoding.UTF8.GetString(_d, (int)start, (int)(i - start));
                throw new ElfFormatException("unterminated string at 0x" + start.ToString("x"));
            }

            private void CheckSection(Section s, string what)
            {
                if (s.Type == ShtNobits)
                    throw new ElfFormatException(what + " has no file contents (SHT_NOBITS)");
                Check(s.Offset, s.Size, what + " (section " + s.Index + ")");
            }

            private void Check(long offset, long length, string what)
            {
                if (offset < 0 || length < 0 || offset > _d.Length || length > _d.Length - offset)
                    throw new ElfFormatException(what + " (0x" + offset.ToString("x") + " + 0x" + length.ToString("x") +
                        ") extends past the end of the file (0x" + _d.Length.ToString("x") + " bytes)");
            }

            public ushort U16(long at)
            {
                Check(at, 2, "field");
                return (ushort)(_d[at] | _d[at + 1] << 8);
            }

            public uint U32(long at)
            {
                Check(at, 4, "field");
                return (uint)(_d[at] | _d[at + 1] << 8 | _d[at + 2] << 16 | _d[at + 3] << 24);
            }

            public ulong U64(long at)
            {
                Check(at, 8, "field");
                return U32(at) | (ulong)U32(at + 4) << 32;
            }

            /// <summary>A 64-bit offset or size, which must fit the file to be usable at all.</summary>
            private long U64Offset(long at, string what)
            {
                ulong value = U64(at);
                if (value > (ulong)_d.Length)
                    throw new ElfFormatException(what + " 0x" + value.ToString("x") + " is beyond the end of the file");
                return (long)value;
            }

            private static string Hex(ulong? value) => value.HasValue ? "0x" + value.Value.ToString("x") : "missing";
        }
    }
}

// The MSBuild task. RoslynCodeTaskFactory compiles this file with no preprocessor symbols defined,
// while every SDK-style project that links the file (the test project) defines its target framework's
// symbol and has no MSBuild references: so the task exists only in the inline-task build.
#if !NETCOREAPP && !NETSTANDARD && !NETFRAMEWORK
namespace CnnGen.Build
{
    using Microsoft.Build.Framework;
    using Microsoft.Build.Utilities;

    /// <summary>
    /// Marks <see cref="VersionName"/> weak in each of <see cref="Files"/>, but only on Linux and only
    /// when the system's <see cref="SystemLibrary"/> does not define that version (elsewhere the
    /// library loads as shipped, and the file is left byte-for-byte as NuGet delivered it).
    /// Problems are warnings, never errors: an unpatched library fails later with the loader's own
    /// message, which is no worse than not having this task.
    /// </summary>
    public sealed class CnnGenMarkVersionNeedWeak : Task
    {
        [Required]
        public ITaskItem[] Files { get; set; } = new ITaskItem[0];

        public string VersionName { get; set; } = "GLIBCXX_3.4.32";

        public string SystemLibrary { get; set; } = "libstdc++.so.6";

        /// <summary>The files this run wrote.</summary>
        [Output]
        public ITaskItem[] PatchedFiles { get; set; } = new ITaskItem[0];

        private const string WarningCode = "CNNGEN001";
        private const string SeeAlso = "see \"TorchSharp on older Linux\" in the CnnGen README; set CnnGenPatchTorchSharpNative=false to opt out";

        public override bool Execute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                Log.LogMessage(MessageImportance.Low, "CnnGen: not Linux; TorchSharp's native library left unchanged.");
                return true;
            }

            var patched = new List<ITaskItem>();
            // One answer per architecture per run: the system library does not change mid-build.
            var systemHasVersion = new Dictionary<ushort, bool>();
            foreach (ITaskItem item in Files)
            {
                string path = item.GetMetadata("FullPath");
                if (string.IsNullOrEmpty(path))
                    path = Path.GetFullPath(item.ItemSpec);
                try
                {
                    ushort machine;
                    var header = new byte[64];
                    using (var stream = File.OpenRead(path))
                        if (stream.Read(header, 0, header.Length) != header.Length)
                        {
                            Log.LogWarning(null, WarningCode, null, path, 0, 0, 0, 0,
                                "CnnGen: {0} is too short to be an ELF library; left unchanged. TorchSharp may fail to load on this machine ({1}).", path, SeeAlso);
                            continue;
                        }
                    try
                    {
                        machine = ElfVersionPatcher.ReadMachine(header);
                    }
                    catch (ElfFormatException e)
                    {
                        Log.LogWarning(null, WarningCode, null, path, 0, 0, 0, 0,
                            "CnnGen: {0} does not have the expected ELF layout ({1}); left unchanged. TorchSharp may fail to load on this machine ({2}).", path, e.Message, SeeAlso);
                        continue;
                    }

                    bool hasVersion;
                    if (!systemHasVersion.TryGetValue(machine, out hasVersion))
                    {
                        var searched = new List<string>();
                        string? system = ElfVersionPatcher.FindSystemLibrary(SystemLibrary, machine, searched);
                        if (system == null)
                        {
                            // Without the library TorchSharp cannot load whatever we do; this may be a
                            // build-only container. Nothing to decide, so change nothing.
                            Log.LogMessage(MessageImportance.Normal,
                                "CnnGen: no {0} for ELF machine {1} found (looked in: {2}); TorchSharp's native library left unchanged.",
                                SystemLibrary, machine, string.Join(", ", searched));
                            systemHasVersion[machine] = true;
                            continue;
                        }
                        hasVersion = ElfVersionPatcher.DefinesVersion(system, VersionName);
                        systemHasVersion[machine] = hasVersion;
                        Log.LogMessage(MessageImportance.Low, "CnnGen: system {0} is {1}; it {2} {3}.",
                            SystemLibrary, system, hasVersion ? "defines" : "lacks", VersionName);
                    }
                    if (hasVersion)
                    {
                        Log.LogMessage(MessageImportance.Low, "CnnGen: system {0} provides {1}; {2} left unchanged.", SystemLibrary, VersionName, path);
                        continue;
                    }

                    ElfPatchResult result = ElfVersionPatcher.MarkVersionNeedWeak(path, VersionName);
                    switch (result.Outcome)
                    {
                        case ElfPatchOutcome.Patched:
                            Log.LogMessage(MessageImportance.High,
                                "CnnGen: marked {0} weak in {1} (system libstdc++ lacks it; {2}). [{3}]",
                                VersionName, path, SeeAlso, result.Detail);
                            patched.Add(new TaskItem(path));
                            break;
                        case ElfPatchOutcome.AlreadyWeak:
                            Log.LogMessage(MessageImportance.Low, "CnnGen: {0}: {1}; not written.", path, result.Detail);
                            break;
                        case ElfPatchOutcome.VersionNotRequired:
                            // A TorchSharp built against an older libstdc++ needs no help.
                            Log.LogMessage(MessageImportance.Low, "CnnGen: {0}: {1}; not written.", path, result.Detail);
                            break;
                        default:
                            Log.LogWarning(null, WarningCode, null, path, 0, 0, 0, 0,
                                "CnnGen: could not mark {0} weak in {1}: unexpected ELF layout ({2}); left unchanged. The system libstdc++ lacks {0}, so TorchSharp will probably fail to load with DllNotFoundException ({3}).",
                                VersionName, path, result.Detail, SeeAlso);
                            break;
                    }
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogWarning(null, WarningCode, null, path, 0, 0, 0, 0,
                        "CnnGen: could not mark {0} weak in {1}: {2}; left unchanged. TorchSharp may fail to load on this machine ({3}).",
                        VersionName, path, e.Message, SeeAlso);
                }
            }
            PatchedFiles = patched.ToArray();
            return !Log.HasLoggedErrors;
        }
    }
}
#endif
