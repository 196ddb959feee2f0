pub mod fgb;
