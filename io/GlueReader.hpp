#pragma once
// Reads a GLUE TSV file of any task into examples, with the column layout of the reference processors.
//
// Parsing follows the reference's csv.reader(delimiter='\t', quotechar=None) on a file opened as
// 'utf-8-sig' with universal newlines: fields are split on tabs only and quotes are literal text; a
// leading byte-order mark is skipped; lines end at \n, \r\n or \r. Differences, all on purpose:
// where the reference would crash or silently mislabel, we throw InputError naming file and line:
// an empty file, a file with no examples, invalid UTF-8, too few columns, a label outside the task's
// label set, a score that is not a number in [0, 5]. The one exception is QQP, whose reference reader
// skips rows with too few columns: we skip them too and list them in GlueDataset::skipped_lines.
#include "io/GlueExample.hpp"

#include <filesystem>

namespace spikingbert::io {

enum class GlueLabels {
  from_file_name,  // a file named test*.tsv is unlabeled, any other is labeled
  present,         // train/dev layout, labels required
  absent,          // test layout, no labels
};

GlueDataset read_glue_file(GlueTask task, const std::filesystem::path& path,
                           GlueLabels labels = GlueLabels::from_file_name);

}  // namespace spikingbert::io
