#include "store/sql/bound_values.h"

namespace taskexec::sql {
namespace {

class RecordingStatement final : public StatementImpl {
 public:
  explicit RecordingStatement(std::vector<BoundValue>* values) : values_(values) {}

  void BindInt(int i, int64_t v) override { Set(i, v); }
  void BindReal(int i, double v) override { Set(i, v); }
  void BindText(int i, std::string_view v) override { Set(i, std::string(v)); }
  void BindNull(int i) override { Set(i, std::monostate{}); }
  Status Step(bool* row) override {
    *row = false;
    return NotRun();
  }
  Status Run() override { return NotRun(); }
  int64_t Changes() const override { return 0; }
  bool IsNull(int) const override { return true; }
  int64_t Int(int) const override { return 0; }
  double Real(int) const override { return 0; }
  std::string Text(int) const override { return {}; }

 private:
  static Status NotRun() { return Status::Internal("a recording statement does not run"); }
  void Set(int i, BoundValue v) {
    if (i < 1) return;
    const size_t at = static_cast<size_t>(i) - 1;
    if (values_->size() <= at) values_->resize(at + 1);
    (*values_)[at] = std::move(v);
  }

  std::vector<BoundValue>* values_;
};

}  // namespace

std::unique_ptr<StatementImpl> BoundValues::NewStatement(std::string_view) {
  values_.clear();
  return std::make_unique<RecordingStatement>(&values_);
}

Status BoundValues::Exec(std::string_view) {
  return Status::Internal("BoundValues records bindings; it runs nothing");
}

}  // namespace taskexec::sql
