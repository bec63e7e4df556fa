using CnnGen.Samples.Training;
using static TorchSharp.torch;

namespace CnnGen.Samples.Transfer;

/// <summary>
/// The two tasks of the sample, cut from the UCI digits: digits 0-4 to pretrain on, digits 5-9 to transfer to,
/// each labelled 0..4 so one five-class network fits either.
/// </summary>
public static class DigitTasks
{
    public const int ClassesPerTask = 5;

    /// <summary>
    /// The digits file cut into the sample's sets with the split of samples/Training (the same 360 test images):
    /// the training images of 0-4 to pretrain on, those of 5-9 to draw the few from, and the test images of 5-9.
    /// </summary>
    public static (Digits Pretraining, Digits NewTaskPool, Digits NewTaskTest) Load(string digitsPath)
    {
        var digits = Digits.Load(digitsPath);
        var (train, test) = digits.Split(testCount: 360, seed: 0);
        return (Task(train, firstDigit: 0), Task(train, firstDigit: 5), Task(test, firstDigit: 5));
    }

    /// <summary>The images of digits <paramref name="firstDigit"/> .. +4, labelled from 0.</summary>
    public static Digits Task(Digits set, int firstDigit)
    {
        using var scope = NewDisposeScope();
        var inTask = set.Labels.ge(firstDigit).logical_and(set.Labels.lt(firstDigit + ClassesPerTask));
        var index = inTask.nonzero().flatten();
        var images = set.Images.index_select(0, index);
        var labels = set.Labels.index_select(0, index) - firstDigit;
        return new Digits(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary><paramref name="perClass"/> images of every class, drawn by <paramref name="seed"/>: the same images on every run.</summary>
    public static Digits FewPerClass(Digits set, int perClass, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        var picked = new List<Tensor>();
        for (var label = 0; label < ClassesPerTask; label++)
        {
            var ofClass = set.Labels.eq(label).nonzero().flatten();
            if (ofClass.shape[0] < perClass) throw new ArgumentOutOfRangeException(nameof(perClass), $"class {label} has only {ofClass.shape[0]} images, fewer than {perClass}");
            picked.Add(ofClass.index_select(0, randperm(ofClass.shape[0], generator: generator)[..perClass]));
        }
        var index = cat(picked, 0);
        return new Digits(set.Images.index_select(0, index).MoveToOuterDisposeScope(), set.Labels.index_select(0, index).MoveToOuterDisposeScope());
    }
}
