"""What each control of the model builder is and what changing it does, said where the student
meets it (the widgets' help), in the reader's language. Some help carries the current numbers:
how many weight updates the settings make."""

from __future__ import annotations

from mnistlab.engine.train import weight_updates
from mnistlab.i18n import N_, _, n_, tr

ACTIVATION_NOTES = {
    "relu": N_("**relu**: max(0, x). Negative inputs give 0, positive ones pass unchanged. Fast to train; "
               "the usual first choice."),
    "tanh": N_("**tanh**: squashes any input into (−1, 1), centred on 0. The classic MLP tutorial uses it; "
               "it learns more slowly than relu when it saturates (flat at both ends)."),
    "sigmoid": N_("**sigmoid**: squashes any input into (0, 1). Flat at both ends, so deep stacks of it learn "
                  "slowly; today mostly used for outputs that are a probability."),
    "elu": N_("**elu**: like relu for positive inputs, but smoothly negative (down to −1) for negative ones, "
              "so units never go completely silent."),
    "selu": N_("**selu**: a scaled elu that keeps activations' mean and variance steady through many layers "
               "(self-normalising)."),
    "gelu": N_("**gelu**: a smooth relu: x times the chance that a standard normal value is below x. "
               "Used by Transformers."),
    "linear": N_("**linear**: no activation, the output is dot(input, kernel) + bias as it is. Stacked linear "
                 "layers are still one linear map: without a nonlinearity depth adds nothing."),
}

OPTIMIZER_NOTES = {
    "sgd": N_("**SGD**: after each batch, every weight moves against its gradient by learning rate × gradient. "
              "Simple; with momentum it is still a strong choice."),
    "adam": N_("**Adam**: SGD with momentum plus a step size adapted per weight from the gradients' recent "
               "size. Works well with its default learning rate 0.001; the usual first choice."),
    "rmsprop": N_("**RMSprop**: divides each weight's step by a running average of its recent gradient size, "
                  "so weights with large gradients take smaller steps."),
    "adagrad": N_("**Adagrad**: divides each step by the sum of all past squared gradients: steps shrink as "
                  "training goes on, which helps rare features but can stop learning too early."),
    "adadelta": N_("**Adadelta**: an Adagrad that only remembers recent gradients, so its steps do not shrink "
                   "to nothing. The LeNet tutorial uses it with learning rate 1.0."),
}

LAYER_NOTES = {
    "dense": N_("**Dense**: every unit is connected to every input: output = activation(dot(input, kernel) + "
                "bias)."),
    "conv2d": N_("**Conv2D**: small filters slide over the image and respond to local patterns (edges, "
                 "curves); each filter makes one feature map."),
    "maxpool2d": N_("**MaxPooling2D**: keeps the largest value of each small square, so the feature maps "
                    "shrink and a pattern shifted by a pixel still counts."),
    "dropout": N_("**Dropout**: while training, zeroes a random share of its inputs at every step, so the "
                  "model cannot rely on any single unit; at prediction time it does nothing."),
    "flatten": N_("**Flatten**: lays a 2-D image or stack of feature maps out as one long row of numbers, as "
                  "Dense layers need."),
    "batchnorm": N_("**BatchNormalization**: rescales each batch's values to mean 0 and variance 1 (then "
                    "learns a scale and shift), which often lets a deep model train faster."),
}


def _notes(notes: dict[str, str], keys) -> str:
    return "\n\n".join(tr(notes[key]) for key in keys if key in notes)


def preset_help() -> str:
    return _("A preset is a complete model from a Keras tutorial: its layers and its training settings. "
             "Pick one and press **Load this preset** to put it in the builder, then change anything. "
             "**Empty model** starts with no hidden layers.")


def load_help() -> str:
    return _("Replaces the layers and training settings below with the chosen preset. A training already "
             "running keeps its own copy.")


def new_layer_help() -> str:
    return _("The kind of layer **Add** puts at the end of the model:") + "\n\n" + _notes(LAYER_NOTES, LAYER_NOTES)


def add_help(max_layers: int) -> str:
    return _("Adds the chosen layer after the last one (at most {max} layers). The output layer, Dense 10 "
             "softmax, is always added for you.", max=max_layers)


def units_help() -> str:
    return _("How many units (neurons) this layer has. Each unit computes one number: "
             "`output = activation(dot(input, kernel) + bias)` — a weighted sum of all the layer's inputs "
             "plus a bias, through the activation. More units can learn more patterns but add parameters "
             "(inputs × units + units) and training time.")


def filters_help() -> str:
    return _("How many filters this layer learns, each making one feature map. More filters can detect more "
             "kinds of pattern; each adds kernel × kernel × input channels + 1 parameters.")


def kernel_help() -> str:
    return _("The width and height of each filter, in pixels (3 means 3×3). Larger kernels see bigger "
             "patterns at once but have more weights.")


def strides_help() -> str:
    return _("How many pixels a filter moves between two positions. 1 looks everywhere; 2 halves the feature "
             "map's width and height (fewer numbers, faster, coarser).")


def padding_help() -> str:
    return _("**valid**: the filter stays inside the image, so the feature map is a little smaller "
             "(28 → 26 for a 3×3 filter). **same**: the border is padded with zeros so the map keeps the "
             "input's size.")


def pool_help() -> str:
    return _("The side of the squares MaxPooling2D takes the largest value of: 2 halves the width and "
             "height of the feature maps.")


def rate_help() -> str:
    return _("The share of this layer's inputs set to zero at random at each training step (0.2 = one in "
             "five). It fights overfitting: the model cannot lean on a few units. It is off when the model "
             "predicts, so predictions do not change from run to run.")


# a layer setting's help, by its name in the layer table (activation has its own: it names the chosen one)
FIELD_HELP = {"units": units_help, "filters": filters_help, "kernel_size": kernel_help, "strides": strides_help,
              "padding": padding_help, "pool_size": pool_help, "rate": rate_help}


def activation_help(current: str) -> str:
    return (_("The function each unit applies to its weighted sum. Without a nonlinear activation, stacked "
              "layers would be one linear map. The curve under this box is the chosen one, for inputs "
              "from −4 to 4.") + "\n\n" + tr(ACTIVATION_NOTES.get(current, "")))


def optimizer_help(current: str) -> str:
    return (_("How the weights are changed after each batch to lower the loss, from its gradient. "
              "The one chosen now:") + "\n\n" + tr(OPTIMIZER_NOTES.get(current, "")))


def learning_rate_help() -> str:
    return _("How big a step the optimizer takes at each update. Too small: the loss falls very slowly. Too "
             "large: the loss jumps around or becomes NaN (the app then stops the training and says so). "
             "Adam and RMSprop: try 0.001; SGD: 0.01–0.1; Adadelta: 1.0.")


def momentum_help() -> str:
    return _("SGD only. Each step keeps this share of the previous step's direction (0.9 = 90 %), like a "
             "ball rolling downhill: it speeds up along steady slopes and smooths out zigzags. 0 is plain "
             "SGD.")


def nesterov_help() -> str:
    return _("SGD only. Nesterov momentum measures the gradient where the momentum is about to carry the "
             "weights, not where they are, which corrects the step earlier; usually a little better than "
             "plain momentum.")


def decay_help() -> str:
    return _("Old Keras `decay`: the learning rate shrinks at every update as lr / (1 + decay × updates) "
             "(Keras 3: an InverseTimeDecay schedule). 0 keeps it constant.")


def weight_updates_note(images: int | None, validation_split: float, batch_size: int, epochs: int) -> str:
    """The arithmetic of epochs and batches with the current numbers (mnistlab.engine.train.weight_updates)."""
    if not images:
        return ""
    updates = weight_updates(images, validation_split, batch_size, epochs)
    return n_("With these settings: {kept:,} training images in batches of {batch} make {steps:,} weight updates "
              "per epoch; {epochs} epoch makes {total:,} in all.",
              "With these settings: {kept:,} training images in batches of {batch} make {steps:,} weight updates "
              "per epoch; {epochs} epochs make {total:,} in all.",
              epochs, kept=updates.images, batch=batch_size, steps=updates.per_epoch, epochs=epochs,
              total=updates.total)


def batch_size_help(updates: str) -> str:
    return (_("A batch (mini-batch) is the group of images the model looks at before each weight update: the "
              "loss is averaged over the batch and the weights move once. Smaller batches: more updates per "
              "epoch, noisier steps, slower per image. Larger: fewer, smoother updates.")
            + ("\n\n" + updates if updates else ""))


def epochs_help(updates: str) -> str:
    return (_("An epoch is one pass over all the training images. More epochs: more learning, until the "
              "model starts to learn its training images by heart (overfitting: the validation loss rises).")
            + ("\n\n" + updates if updates else ""))


def validation_help() -> str:
    return _("The share of the training images kept aside: the model never trains on them, and after each "
             "epoch it is scored on them (validation loss and accuracy). When training loss keeps falling but "
             "validation loss rises, the model is overfitting.")


def subset_help() -> str:
    return _("Train on only this many images, the same number from each class (0 = all). A subset of a few "
             "thousand trains in seconds — for quick runs in class; more images usually give a better model.")


def seed_help() -> str:
    return _("The random seed fixes every random choice (initial weights, batch order, dropout, the subset), "
             "so the same settings give exactly the same training. Change it to see how much results vary "
             "by chance alone.")


def import_help() -> str:
    return _("A model spec saved with **Download spec (JSON)** here, or by a classmate. It replaces the "
             "builder's layers and settings.")


def export_help() -> str:
    return _("The layers and settings as a JSON file, to import later or share.")
